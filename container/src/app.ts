/**
 * The container's HTTP surface: parse, validate, call the engine, shape the JSON. Sockets, timeouts and
 * shutdown live in server.ts; decoding in decode.ts; arithmetic in metrics/.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError, missingField, toErrorResponse } from "../../contract/errors.ts";
import {
  ALGORITHM,
  ANALYSIS_PATH,
  type AnalysisResponse,
  type HealthResponse,
  IMAGE_FIELD,
  REQUEST_ID_HEADER,
  requestIdFrom,
  SERVICE_NAME,
} from "../../contract/service.ts";
import pkg from "../../package.json" with { type: "json" };
import type { ContainerConfig } from "./config.ts";
import { decodeForAnalysis } from "./decode.ts";
import { describeCause, log } from "./log.ts";
import { averageLuma, brightnessScore, round } from "./metrics/luminance.ts";

/** Room for the multipart boundary and part headers around the file itself, in bytes. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

type Env = { Variables: { requestId: string; startedAt: number } };

/** The 413 of the reference service, with the limit and what was received. */
function tooLarge(maxBytes: number, receivedBytes: number): ApiError {
  return new ApiError(
    413,
    "payload_too_large",
    `Image exceeds maximum allowed size (${Math.round(maxBytes / 1024 / 1024)}MB)`,
    {
      extra: { max_size_bytes: maxBytes, received_size_bytes: receivedBytes },
    },
  );
}

/**
 * Builds the container's Hono app.
 *
 * @example
 * const app = createApp(loadConfig(process.env));
 * const res = await app.request("/health"); // 200 {"status":"healthy",…}
 */
export function createApp(config: ContainerConfig): Hono<Env> {
  const app = new Hono<Env>();

  app.use(async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", requestId);
    c.set("startedAt", performance.now());
    await next();
    c.header(REQUEST_ID_HEADER, requestId);
    log("info", "request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: round(performance.now() - c.get("startedAt"), 1),
    });
  });

  const health = (): HealthResponse => ({ status: "healthy", service: SERVICE_NAME, version: pkg.version });
  app.get("/", (c) => c.json(health()));
  app.get("/health", (c) => c.json(health()));

  app.post(
    ANALYSIS_PATH,
    bodyLimit({
      maxSize: config.maxUploadBytes + MULTIPART_OVERHEAD_BYTES,
      onError: (c) => {
        throw tooLarge(config.maxUploadBytes, Number(c.req.header("content-length") ?? 0));
      },
    }),
    async (c) => {
      let form: Record<string, unknown>;
      try {
        form = await c.req.parseBody();
      } catch (cause) {
        // A body that is not multipart/form-data has no `image` field, as FastAPI would say.
        throw Object.assign(missingField(IMAGE_FIELD), { cause });
      }
      const file = form[IMAGE_FIELD];
      if (!(file instanceof File)) throw missingField(IMAGE_FIELD);
      if (file.size === 0) throw new ApiError(400, "empty_image", "Empty image file");
      if (file.size > config.maxUploadBytes) throw tooLarge(config.maxUploadBytes, file.size);

      const bytes = new Uint8Array(await file.arrayBuffer());
      const image = await decodeForAnalysis(bytes, { maxSidePx: config.analysisMaxSidePx });
      const average = averageLuma(image.pixels);
      const body: AnalysisResponse = {
        brightness_score: brightnessScore(average),
        average_luminance: round(average, 2),
        width: image.width,
        height: image.height,
        algorithm: ALGORITHM,
        processing_time_ms: round(performance.now() - c.get("startedAt"), 2),
      };
      return c.json(body);
    },
  );

  app.notFound(() => {
    throw new ApiError(404, "not_found", "Not Found");
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? requestIdFrom(undefined);
    const { error, status, body, headers } = toErrorResponse(err, requestId);
    if (status >= 500 || error.cause !== undefined) {
      log(status >= 500 ? "error" : "warn", error.message, {
        request_id: requestId,
        code: error.code,
        status,
        cause: describeCause(error.cause ?? err),
      });
    }
    return c.json(body, status as 400, { ...headers, [REQUEST_ID_HEADER]: requestId });
  });

  return app;
}
