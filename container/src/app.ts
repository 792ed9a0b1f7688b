/**
 * The container's HTTP surface: parse, validate, call the engine, shape the JSON. Sockets, timeouts and
 * shutdown live in server.ts; decoding in decode.ts; arithmetic in metrics/.
 */
import { type Context, Hono } from "hono";
import { requestId } from "hono/request-id";
import {
  type AcceptedFormat,
  type AnalysisParams,
  type AnalysisResponse,
  DEFAULT_ALGORITHM,
  parseAnalysisParams,
} from "../../contract/analysis.ts";
import { ApiError, missingField, overloaded, toErrorResponse, tooLarge } from "../../contract/errors.ts";
import { acceptedFormat, SNIFF_BYTES } from "../../contract/formats.ts";
import { type AccessLogVariables, accessLog, requestIdOptions } from "../../contract/middleware.ts";
import {
  ANALYSIS_PATH,
  type AnalysisPriority,
  elapsedMs,
  type HealthResponse,
  IMAGE_FIELD,
  MULTIPART_OVERHEAD_BYTES,
  PRIORITY_HEADER,
  priorityFrom,
  REQUEST_ID_HEADER,
  requestIdFrom,
  SERVICE_NAME,
} from "../../contract/service.ts";
import pkg from "../../package.json" with { type: "json" };
import type { ContainerConfig } from "./config.ts";
import { type DecodedImage, readHeader, setDecodeThreads } from "./decode.ts";
import { analyseImage, type ImageInsights, jpegDecodes } from "./engine.ts";
import { CallerGoneError, Limiter, QueueFullError, QueueTimeoutError } from "./limiter.ts";
import { describeCause, log } from "./log.ts";
import type { Analysis } from "./metrics/analyse.ts";
import { roundRatio } from "./metrics/exact.ts";
import { BUCKET_LABELS, PERCENT_BUCKET_LABELS } from "./metrics/histogram.ts";
import { brightnessScore, roundDuration } from "./metrics/luminance.ts";
import { SCALES } from "./metrics/scales.ts";
import { filePart } from "./multipart.ts";

/**
 * The container app's Hono environment: what its middleware records on each request. `slotWaitMs`: how long the
 * analysis waited for its decode slot (not its own work).
 */
type ContainerAppEnv = { Variables: AccessLogVariables & { slotWaitMs?: number } };

/** The queue's refusals in the API's words; anything else unchanged. */
function backpressureError(err: unknown): unknown {
  // A full container, a full queue and a wait past ANALYSIS_WAIT_LIMIT_MS are one thing to the caller: come back
  // later. The log keeps which it was.
  if (err instanceof QueueFullError || err instanceof QueueTimeoutError) {
    return overloaded({ cause: err });
  }
  if (err instanceof CallerGoneError) {
    // Nobody reads this answer; the status (nginx's 499) and the log say what happened.
    return new ApiError(499, "client_closed", "Client closed the request", { cause: err });
  }
  return err;
}

/**
 * The body's declared length (Content-Length), or null when it has none (chunked); a declared length past
 * `maxBytes` is refused here, before a byte is read.
 *
 * @example
 * declaredLength(c.req.raw, 5 * 2 ** 20 + 65_536, 5 * 2 ** 20); // 15_210, or null
 */
function declaredLength(request: Request, maxBytes: number, maxUploadBytes: number): number | null {
  const declared = request.headers.get("content-length");
  if (declared === null || request.headers.has("transfer-encoding")) return null;
  const length = Number(declared);
  // The body outgrew the limit before the file could be measured: what it claimed is all we know.
  if (!(length <= maxBytes)) throw tooLarge(maxUploadBytes, Number.isFinite(length) ? length : maxUploadBytes + 1);
  return length;
}

/**
 * The request body, at most `maxBytes`. A body whose length was declared (and checked by `declaredLength`
 * before a byte was read) is read straight from the socket (@hono/node-server's fast path; a web stream would
 * cost more than a small image's analysis); a chunked body is counted as it arrives and dropped once past the
 * limit.
 *
 * @example
 * const body = await readBody(c.req.raw, declaredLength(c.req.raw, maxBytes, maxUpload), maxBytes, maxUpload);
 */
async function readBody(
  request: Request,
  declared: number | null,
  maxBytes: number,
  maxUploadBytes: number,
): Promise<Uint8Array> {
  if (declared !== null) return new Uint8Array(await request.arrayBuffer());
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Node's web streams are async iterable; the DOM lib the tools' typecheck uses does not say so.
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxUploadBytes, maxUploadBytes + 1);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Builds the container's Hono app.
 *
 * @example
 * const app = createApp(loadConfig(process.env));
 * const res = await app.request("/health"); // 200 {"status":"healthy",…}
 */
export function createApp(config: ContainerConfig): Hono<ContainerAppEnv> {
  const app = new Hono<ContainerAppEnv>();
  // Admission, at the door: an analysis takes its place when its headers arrive and keeps it until it is
  // answered, so the uploads being received count too. Counting only those waiting for a decode slot let every
  // request still receiving its body in: on a busy machine, whose uploads arrive slowly, hundreds at once held
  // their partial bodies (600 MiB declared, RSS past 700 MiB) and were answered after the Worker's deadline.
  const admission = new Limiter(config.analysisConcurrency + config.analysisQueueLimit, 0, config.admissionBudgetBytes);
  const maxBodyBytes = config.maxUploadBytes + MULTIPART_OVERHEAD_BYTES;
  // Job items (PRIORITY_HEADER `batch`) pass a door of their own first, so that they never take the places and
  // bytes single requests need: at most BATCH_DECODE_SLOTS + BATCH_QUEUE_LIMIT places, and the admission budget
  // less one upload of the largest size. Refused there, a job item gets the same 503 `overloaded`, and its
  // consumer tries it again later.
  const batchAdmission = new Limiter(
    config.batchDecodeSlots + config.batchQueueLimit,
    0,
    Math.max(maxBodyBytes, config.admissionBudgetBytes - maxBodyBytes),
  );
  // Single requests go before job items in both queues, and job items decode on BATCH_DECODE_SLOTS at most.
  const decodes = new Limiter(
    config.analysisConcurrency,
    config.analysisQueueLimit,
    Number.POSITIVE_INFINITY,
    config.batchDecodeSlots,
  );
  // Progressive JPEGs hold every DCT coefficient until their last scan: as many at once as the decode slots
  // allow while their coefficients fit the budget (two 16-megapixel photos; a 50-megapixel one alone).
  const progressiveLane = new Limiter(
    config.analysisConcurrency,
    config.analysisQueueLimit,
    config.progressiveBudgetBytes,
    config.batchDecodeSlots,
  );
  setDecodeThreads(config.decodeThreadsPerImage);

  // The request ID (the caller's under the contract's rule, else a fresh one) and the access line, as the Worker
  // takes and writes them (contract/middleware.ts); a job item's line says so.
  app.use(requestId(requestIdOptions));
  app.use(
    accessLog(log, (c) => (priorityFrom(c.req.header(PRIORITY_HEADER)) === "batch" ? { priority: "batch" } : {})),
  );

  let analysesTotal = 0;
  let batchAnalysesTotal = 0;
  /** When the last single request arrived (`performance.now()`): job items yield while they are about. */
  let interactiveAt = Number.NEGATIVE_INFINITY;
  const health = (): HealthResponse => ({ status: "healthy", service: SERVICE_NAME, version: pkg.version });
  app.get("/", (c) => c.json(health()));
  // `?deep=1` adds the decode counters: what an operator (and the stampede test) reads. Each count covers both
  // priorities; its `_batch` twin says how many of them are job items.
  app.get("/health", (c) =>
    c.json(
      c.req.query("deep") === "1"
        ? {
            ...health(),
            analyses_total: analysesTotal,
            analyses_batch_total: batchAnalysesTotal,
            in_flight: decodes.active,
            in_flight_batch: decodes.activeBatch,
            queued: decodes.queued + progressiveLane.queued,
            queued_batch: decodes.queuedBatch + progressiveLane.queuedBatch,
            admitted: admission.active,
            admitted_batch: batchAdmission.active,
            admitted_bytes: admission.spent,
            rejected: admission.rejected + batchAdmission.rejected + decodes.rejected + progressiveLane.rejected,
            timed_out: decodes.timedOut + progressiveLane.timedOut,
            analysis_concurrency: decodes.limit,
            queue_limit: decodes.queueLimit,
            batch_decode_slots: decodes.batchLimit,
            batch_queue_limit: config.batchQueueLimit,
          }
        : health(),
    ),
  );

  app.post(ANALYSIS_PATH, async (c) => {
    // Refused here, a request costs its headers: its body is never read into memory. (Node reads and drops
    // what of it is already on the way, to keep the connection. Closing the connection instead made the Worker's
    // runtime, still sending, report it lost: a 503 `container_failed` instead of this `overloaded`.)
    const declared = declaredLength(c.req.raw, maxBodyBytes, config.maxUploadBytes);
    const priority = priorityFrom(c.req.header(PRIORITY_HEADER));
    if (priority !== "batch") interactiveAt = performance.now();
    const cost = declared ?? maxBodyBytes;
    const admit = () => admission.run(() => analyseUpload(c, declared, priority), { cost });
    // The admission's refusals and the decode queues' (full, or past ANALYSIS_WAIT_LIMIT_MS) all surface here.
    if (priority !== "batch") {
      return admit().catch((err: unknown) => {
        throw backpressureError(err);
      });
    }
    try {
      return await batchAdmission.run(admit, { cost });
    } catch (err) {
      throw backpressureError(err);
    } finally {
      // Single requests about: job items rest BATCH_REST_FACTOR times as long as this one worked (its wait for a
      // slot, which includes earlier rests, left out: rests must not grow on each other).
      const now = performance.now();
      if (now - interactiveAt < config.interactiveRecentMs) {
        const restMs = config.batchRestFactor * (now - c.get("startedAt") - (c.get("slotWaitMs") ?? 0));
        decodes.restBatch(restMs);
        progressiveLane.restBatch(restMs);
      }
    }
  });

  /** One admitted analysis: read, check, wait for a decode slot (at most until its start deadline), answer. */
  async function analyseUpload(
    c: Context<ContainerAppEnv>,
    declared: number | null,
    priority: AnalysisPriority,
  ): Promise<Response> {
    const startBy = c.get("startedAt") + config.analysisWaitLimitMs;
    const body = await readBody(c.req.raw, declared, maxBodyBytes, config.maxUploadBytes);
    // A body that is not multipart/form-data, or not well-formed, has no `image` field, as FastAPI would say.
    const file = filePart(body, c.req.header("content-type"), IMAGE_FIELD);
    if (!file) throw missingField(IMAGE_FIELD);
    const params = parseAnalysisParams(new URL(c.req.url).searchParams);
    if (file.bytes.length === 0) throw new ApiError(400, "empty_image", "Empty image file");
    if (file.bytes.length > config.maxUploadBytes) throw tooLarge(config.maxUploadBytes, file.bytes.length);

    const bytes = file.bytes;
    const format = acceptedFormat(bytes.subarray(0, SNIFF_BYTES), file.type);
    const header = await readHeader(bytes, { format, maxInputPixels: config.maxInputPixels });
    // A client that went away while its request waited for a slot is never started.
    const signal = c.req.raw.signal;
    const queuedAt = performance.now();
    const work = () =>
      decodes.run(
        async () => {
          c.set("slotWaitMs", performance.now() - queuedAt);
          analysesTotal++;
          if (priority === "batch") batchAnalysesTotal++;
          return analyseImage(bytes, format, header, params, config);
        },
        { signal, maxWaitMs: startBy - performance.now(), priority },
      );
    const { image, analysis, extra, timings } = await (header.progressive
      ? progressiveLane.run(work, {
          signal,
          cost: header.progressiveBytes * jpegDecodes(params),
          maxWaitMs: startBy - performance.now(),
          priority,
        })
      : work());
    if (analysis.totalWeight === 0) {
      throw new ApiError(422, "no_opaque_pixels", "Image has no visible pixels", {
        extra: {
          details: "Every pixel is fully transparent; pass background=RRGGBB to analyse it flattened onto a colour",
        },
      });
    }
    // Written here, not by Hono's `timing` middleware: the Worker appends this header to its own, whose metrics
    // are separated by ", " (worker/src/analysis/answer.ts) where `timing` joins with ",", and `timing` adds a
    // total of its own and a header on every answer, health checks included.
    c.header(
      "Server-Timing",
      `decode;dur=${roundDuration(timings.decode, 1)}, analyse;dur=${roundDuration(timings.analyse, 1)}`,
    );
    return c.json(toResponse(params, format, image, analysis, elapsedMs(c.get("startedAt"), 2), extra));
  }

  app.notFound(() => {
    throw new ApiError(404, "not_found", "Not Found");
  });

  app.onError((err, c) => {
    const id = c.get("requestId") ?? requestIdFrom(undefined);
    const { error, status, body, headers } = toErrorResponse(err, id);
    if (status >= 500 || error.cause !== undefined) {
      log(status >= 500 ? "error" : "warn", error.message, {
        request_id: id,
        code: error.code,
        status,
        cause: describeCause(error.cause ?? err),
      });
    }
    return c.json(body, status as 400, { ...headers, [REQUEST_ID_HEADER]: id });
  });

  return app;
}

/**
 * The response body, in the reference service's field order: the groups asked for, then the image's facts.
 *
 * @example
 * toResponse(params, "jpeg", image, analysis, 12.5); // { brightness_score: 57, …, processing_time_ms: 12.5 }
 */
export function toResponse(
  params: AnalysisParams,
  format: AcceptedFormat,
  image: DecodedImage,
  analysis: Analysis,
  processingTimeMs: number,
  extra: ImageInsights = {},
): AnalysisResponse {
  const body: Partial<AnalysisResponse> = {};
  const algorithm = params.algorithm ?? DEFAULT_ALGORITHM;
  const { max } = SCALES[algorithm];
  const labels = algorithm === "rec709" ? BUCKET_LABELS : PERCENT_BUCKET_LABELS;
  // Every number is rounded half away from zero from its exact ratio (exact.ts), never from a float.
  if (params.metrics.includes("brightness")) {
    body.brightness_score = brightnessScore(analysis.average, max);
    body.average_luminance = roundRatio(analysis.average.num, analysis.average.den, 2);
  }
  if (analysis.median) body.median_luminance = roundRatio(analysis.median.num, analysis.median.den, 2);
  if (analysis.histogram) {
    body.histogram = analysis.histogram.map((percent, i) => ({
      range: labels[i] as string,
      percent: roundRatio(percent.num, percent.den, 1),
    }));
  }
  if (params.edgeMode && analysis.edge) {
    // Bands that are wholly transparent have no brightness: null, not a made-up number.
    const edge = analysis.edge.den === 0 ? null : analysis.edge;
    body.edge_brightness_score = edge === null ? null : brightnessScore(edge, max);
    body.edge_average_luminance = edge === null ? null : roundRatio(edge.num, edge.den, 2);
    body.edge_mode = params.edgeMode;
  }
  return {
    ...body,
    width: image.width,
    height: image.height,
    algorithm,
    cached: false,
    processing_time_ms: processingTimeMs,
    format,
    oriented_width: image.orientedWidth,
    oriented_height: image.orientedHeight,
    analysed_width: image.pixels.width,
    analysed_height: image.pixels.height,
    // The v2 and v3 insights asked for, one object per metric, after the v1 fields (engine.ts).
    ...extra,
  };
}
