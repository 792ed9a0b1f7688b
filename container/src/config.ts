/**
 * The container's settings, read from the environment once at start and validated there, so that a bad
 * value stops the process with a clear message instead of surfacing mid-request. Every limit is a named
 * constant with its unit in the name; the environment variable of the same name overrides it, read by the
 * Worker's rules (contract/config.ts: an integer is plain decimal digits).
 */

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { integerSetting } from "../../contract/config.ts";
import { MAX_UPLOAD_BYTES } from "../../contract/limits.ts";
import { MULTIPART_OVERHEAD_BYTES } from "../../contract/service.ts";

/** Port the service listens on: the Durable Object's `defaultPort`. */
export const PORT = 8080;
/** Largest accepted upload, in bytes: the contract's (the reference's 5 MB, which is 5 MiB). */
export { MAX_UPLOAD_BYTES };
/** The analysed image's longer side, in pixels (the reference's thumbnail size). */
export const ANALYSIS_MAX_SIDE_PX = 512;
/**
 * The full-resolution window `compression.blockiness` and `noise` are measured on, its longer side in pixels: an
 * image larger than this on a side is measured on its centred window (a 12 MP photo, 4000 × 3000, whole). Its
 * RGB pixels are held while measured: 46 MiB at most, which keeps the container within its memory bound
 * (docs/OPERATIONS.md).
 */
export const FULL_RESOLUTION_MAX_SIDE_PX = 4000;
/** Largest accepted width × height, read from the header before any decode (sharp's own 268 MP is far too high). */
export const MAX_INPUT_PIXELS = 50_000_000;
/** libvips' own deadline for one decode, in seconds: past it, 503 and the decode slot is freed. */
export const PROCESSING_TIMEOUT_S = 10;
/**
 * How many analyses may be in the container besides those decoding (their upload still arriving, or waiting for
 * a decode slot); one more is refused with 503 as soon as its request line and headers arrive, before a byte of
 * its body is read.
 */
export const ANALYSIS_QUEUE_LIMIT = 8;
/**
 * Decode slots kept for single (interactive) requests when the container has 2 or more: job items (batch
 * analyses, sent with PRIORITY_HEADER `batch`) may decode on the others only. BATCH_DECODE_SLOTS' default is
 * ANALYSIS_CONCURRENCY minus this, and at least 1, so job items always progress.
 */
export const INTERACTIVE_DECODE_SLOTS = 1;
/**
 * What part of ANALYSIS_QUEUE_LIMIT job items may take, as a fraction (rounded down): BATCH_QUEUE_LIMIT's default.
 * The rest of the places, with the decode slots job items may not use, are kept for single requests, so a job
 * that floods a container gets 503 `overloaded` (its consumer tries again later) while single requests get in.
 */
export const BATCH_QUEUE_SHARE = 0.5;
/**
 * How long after a single request's arrival job items still yield to single requests, in milliseconds (see
 * BATCH_REST_FACTOR).
 */
export const INTERACTIVE_RECENT_MS = 1_000;
/**
 * While single requests are about (one arrived within INTERACTIVE_RECENT_MS), each job item's analysis is
 * followed by a rest of job items this many times as long as its own work in the container (its wait for a slot
 * left out): job items then have at most 1 / (1 + this) of the container's time, and, since the consumer waits
 * for their answers, their Worker-side work slows as much. With no single request about, job items run back to
 * back; 0 turns the rest off. Seven: on 2 cores, where the Worker, the queue and the container share the CPU and
 * a job item's Worker-side work costs more than its container-side work, single requests' p50 while another
 * key's 1,000-item job ran was 2.0× idle at 3 and 1.26–1.57× at 7 (docs/BENCHMARK.md). On Cloudflare the Worker
 * runs elsewhere, and a smaller factor gives the same latency with more of the jobs' throughput.
 */
export const BATCH_REST_FACTOR = 7;
/**
 * What the request bodies of the analyses in the container may declare together (Content-Length; a body without
 * one counts as the largest allowed), in bytes. Past it a request is refused at its headers, like a full queue.
 * Each body is held twice while it is read (its chunks, then one buffer), so with libvips' own buffers and
 * `PROGRESSIVE_BUDGET_BYTES` this keeps peak RSS under 512 MiB whatever arrives (the load suite's limit: half of
 * a `basic` instance's 1 GiB): the count above alone would let 10 maximum-size uploads in.
 */
export const ADMISSION_BUDGET_BYTES = 48 * 1024 * 1024;
/**
 * How long an analysis may wait from its request's arrival to its decode's start, in milliseconds; past it,
 * 503 `overloaded` with `Retry-After`. With `PROCESSING_TIMEOUT_S` it keeps the container's answer well inside
 * the Worker's `CONTAINER_DEADLINE_MS` (30 s), so a busy container says so instead of the Worker's 504.
 */
export const ANALYSIS_WAIT_LIMIT_MS = 10_000;
/**
 * What progressive JPEGs decoding at once may hold in DCT coefficients together, in bytes (libjpeg keeps a
 * progressive image's coefficients until its last scan: 2 bytes per sample, about 50 MB for a 16.6-megapixel
 * 4:2:0 photo). Two such decodes fit, so both cores work; a 50-megapixel 4:4:4 one (300 MB) runs alone. Keeps
 * peak RSS under 512 MiB (the load suite's limit: half of a `basic` instance's 1 GiB).
 */
export const PROGRESSIVE_BUDGET_BYTES = 128 * 1024 * 1024;
/**
 * libvips threads per decode. One: a JPEG decode is sequential whatever the count, and images decoding in
 * parallel keep the cores busy better than threads within one (measured: as fast at concurrency 1, 5 % more
 * progressive decodes per second at 4).
 */
export const DECODE_THREADS_PER_IMAGE = 1;
/** How long a client may take to send its request headers, in milliseconds (slowloris defence). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** How long a client may take to send a whole request, in milliseconds. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** After SIGTERM, how long in-flight requests may take before the process exits anyway, in milliseconds. */
export const SHUTDOWN_GRACE_MS = 25_000;

export interface ContainerConfig {
  port: number;
  maxUploadBytes: number;
  analysisMaxSidePx: number;
  fullResolutionMaxSidePx: number;
  maxInputPixels: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  analysisConcurrency: number;
  analysisQueueLimit: number;
  /** How many job items may decode at once (at most `analysisConcurrency`). */
  batchDecodeSlots: number;
  /** How many job items may be in the container besides those decoding (at most `analysisQueueLimit`). */
  batchQueueLimit: number;
  /** Job items rest this many times their own work while single requests are about (0: never). */
  batchRestFactor: number;
  /** How long after a single request's arrival job items still rest, in milliseconds. */
  interactiveRecentMs: number;
  admissionBudgetBytes: number;
  analysisWaitLimitMs: number;
  processingTimeoutS: number;
  progressiveBudgetBytes: number;
  decodeThreadsPerImage: number;
}

/** The process environment the settings are read from: strings, or absent. */
export type ContainerVars = Readonly<Record<string, string | undefined>>;

/**
 * The CPU this process may really use: its cgroup v2 `cpu.max` quota rounded up, else
 * `os.availableParallelism()`. A Cloudflare `basic` instance has 1/4 vCPU on a many-core host, so the
 * host's core count would oversubscribe it many times over.
 */
export function availableCpus(cpuMaxPath = "/sys/fs/cgroup/cpu.max"): number {
  try {
    const [quota, period] = readFileSync(cpuMaxPath, "utf8").trim().split(/\s+/);
    if (quota !== undefined && quota !== "max" && period !== undefined) {
      const cpus = Math.ceil(Number(quota) / Number(period));
      if (Number.isFinite(cpus) && cpus >= 1) return cpus;
    }
  } catch {
    // No cgroup v2 file (macOS, cgroup v1): the OS's own answer is the best we have.
  }
  return availableParallelism();
}

/**
 * Parses and validates the container's settings.
 *
 * @example
 * const config = loadConfig(process.env);
 * config.port; // 8080 unless PORT is set
 */
export function loadConfig(env: ContainerVars): ContainerConfig {
  const analysisConcurrency = integerSetting(env, "ANALYSIS_CONCURRENCY", availableCpus(), { max: 64 });
  const analysisQueueLimit = integerSetting(env, "ANALYSIS_QUEUE_LIMIT", ANALYSIS_QUEUE_LIMIT, { max: 10_000 });
  const config: ContainerConfig = {
    port: integerSetting(env, "PORT", PORT, { max: 65_535 }),
    maxUploadBytes: integerSetting(env, "MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES),
    // 2048² pixels keep the weighted luma sums exact in a double (2048² × 2 550 000 × 255 < 2^53).
    analysisMaxSidePx: integerSetting(env, "ANALYSIS_MAX_SIDE_PX", ANALYSIS_MAX_SIDE_PX, { max: 2048 }),
    fullResolutionMaxSidePx: integerSetting(env, "FULL_RESOLUTION_MAX_SIDE_PX", FULL_RESOLUTION_MAX_SIDE_PX, {
      min: 16,
      max: 8192,
    }),
    maxInputPixels: integerSetting(env, "MAX_INPUT_PIXELS", MAX_INPUT_PIXELS),
    headersTimeoutMs: integerSetting(env, "HEADERS_TIMEOUT_MS", HEADERS_TIMEOUT_MS),
    requestTimeoutMs: integerSetting(env, "REQUEST_TIMEOUT_MS", REQUEST_TIMEOUT_MS),
    shutdownGraceMs: integerSetting(env, "SHUTDOWN_GRACE_MS", SHUTDOWN_GRACE_MS),
    analysisConcurrency,
    analysisQueueLimit,
    // Capped rather than refused: ANALYSIS_CONCURRENCY follows the machine's CPUs when unset, and a value past it
    // only means "no cap" there.
    batchDecodeSlots: Math.min(
      analysisConcurrency,
      integerSetting(env, "BATCH_DECODE_SLOTS", Math.max(1, analysisConcurrency - INTERACTIVE_DECODE_SLOTS), {
        max: 64,
      }),
    ),
    batchQueueLimit: integerSetting(env, "BATCH_QUEUE_LIMIT", Math.floor(analysisQueueLimit * BATCH_QUEUE_SHARE), {
      min: 0,
      max: analysisQueueLimit,
    }),
    batchRestFactor: integerSetting(env, "BATCH_REST_FACTOR", BATCH_REST_FACTOR, { min: 0, max: 100 }),
    interactiveRecentMs: integerSetting(env, "INTERACTIVE_RECENT_MS", INTERACTIVE_RECENT_MS, { max: 60_000 }),
    admissionBudgetBytes: integerSetting(env, "ADMISSION_BUDGET_BYTES", ADMISSION_BUDGET_BYTES),
    analysisWaitLimitMs: integerSetting(env, "ANALYSIS_WAIT_LIMIT_MS", ANALYSIS_WAIT_LIMIT_MS),
    processingTimeoutS: integerSetting(env, "PROCESSING_TIMEOUT_S", PROCESSING_TIMEOUT_S, { max: 3_600 }),
    progressiveBudgetBytes: integerSetting(env, "PROGRESSIVE_BUDGET_BYTES", PROGRESSIVE_BUDGET_BYTES),
    decodeThreadsPerImage: integerSetting(env, "DECODE_THREADS_PER_IMAGE", DECODE_THREADS_PER_IMAGE, { max: 64 }),
  };
  // One upload of the largest size allowed must fit the admission budget, or it would be refused forever.
  const largestBody = config.maxUploadBytes + MULTIPART_OVERHEAD_BYTES;
  if (config.admissionBudgetBytes < largestBody) {
    throw new Error(
      `Expected ADMISSION_BUDGET_BYTES of at least ${largestBody} (MAX_UPLOAD_BYTES plus ${MULTIPART_OVERHEAD_BYTES} for the form around it) but received ${config.admissionBudgetBytes}`,
    );
  }
  return config;
}
