/**
 * Which container instance an analysis goes to, and the call itself: a deadline, and one retry on another
 * instance when the first cannot start.
 *
 * Routing by the image's SHA-256 spreads distinct images evenly over `CONTAINER_INSTANCES` Durable Objects
 * (the reference service hashed the request path, which sent every upload to one container), and sends
 * identical uploads to the same instance, where they are coalesced into one analysis.
 */
import { canonicalQuery } from "../../../contract/analysis.ts";
import { ApiError, containerTimeout } from "../../../contract/errors.ts";
import { ANALYSIS_PATH, IMAGE_FIELD, PRIORITY_HEADER, REQUEST_ID_HEADER } from "../../../contract/service.ts";
import type { WorkerConfig } from "../config.ts";
import { withDeadline } from "../deadline.ts";
import type { Env } from "../env.ts";
import { log } from "../log.ts";
import type { Upload } from "../upload/index.ts";
import { RESULT_ETAG_HEADER, RESULT_KEY_HEADER } from "./internal-headers.ts";

/**
 * The instance index for a content hash: its first 32 bits modulo the instance count.
 *
 * @example
 * instanceIndex("ffffffff…", 4); // 3
 */
export function instanceIndex(sha256Hex: string, instances: number): number {
  return Number.parseInt(sha256Hex.slice(0, 8), 16) % instances;
}

/** The Durable Object name of instance `i`. */
export function instanceName(i: number): string {
  return `analyzer-${i}`;
}

export interface ContainerAnswer {
  response: Response;
  /** How long the container call took, in milliseconds (for `Server-Timing`). */
  durationMs: number;
  instance: string;
}

/**
 * Whether an instance's answer says no container took the request (worth one try elsewhere). Only
 * `container_unavailable`: a `container_failed` container died with the request in it, and an image that
 * kills a container must not be sent on to kill the next one.
 */
async function couldNotStart(response: Response): Promise<boolean> {
  if (response.status !== 503) return false;
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { detail?: { code?: string } } | null;
  return body?.detail?.code === "container_unavailable";
}

/**
 * Sends a checked upload to its instance and returns the container's answer. When that instance cannot
 * start its container, the request is tried once on the next instance before the 503 is returned. A job
 * item (`priority: "batch"`) says so in PRIORITY_HEADER: the container serves single requests first.
 *
 * @example
 * const { response } = await analyseOnContainer(env, config, upload, { key, etag }, requestId);
 * await analyseOnContainer(env, config, upload, { key, etag }, requestId, "batch"); // a job item
 */
export async function analyseOnContainer(
  env: Env,
  config: WorkerConfig,
  upload: Pick<Upload, "file" | "sha256" | "params">,
  cache: { key: string; etag: string | null },
  requestId: string,
  priority?: "batch",
): Promise<ContainerAnswer> {
  const first = instanceIndex(upload.sha256, config.containerInstances);
  const attempts = config.containerInstances > 1 ? [first, (first + 1) % config.containerInstances] : [first];
  const startedAt = performance.now();
  let response: Response | undefined;
  let name = instanceName(first);
  for (const i of attempts) {
    name = instanceName(i);
    const form = new FormData();
    form.append(IMAGE_FIELD, upload.file, upload.file.name || "image");
    const request = new Request(`http://container${ANALYSIS_PATH}?${canonicalQuery(upload.params)}`, {
      method: "POST",
      body: form,
      headers: {
        [REQUEST_ID_HEADER]: requestId,
        [RESULT_KEY_HEADER]: cache.key,
        ...(cache.etag ? { [RESULT_ETAG_HEADER]: cache.etag } : {}),
        ...(priority ? { [PRIORITY_HEADER]: priority } : {}),
      },
    });
    const stub = env.ANALYZER.getByName(name);
    response = await withDeadline(
      (signal) => stub.fetch(request, { signal }),
      config.containerDeadlineMs,
      () => {
        throw containerTimeout(config.containerDeadlineMs);
      },
    );
    if (!(await couldNotStart(response))) break;
    log("warn", "instance could not start its container", { request_id: requestId, instance: name });
  }
  if (!response) throw new ApiError(500, "internal_error", "Internal server error");
  return { response, durationMs: performance.now() - startedAt, instance: name };
}
