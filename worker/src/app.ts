/**
 * The Worker's Hono app: middleware in request order, then the routes. The Worker answers everything it can
 * on its own (health, every invalid request, cache hits) and sends a container only valid, uncached work.
 *
 * An analysis walks: request ID → security headers → CORS → API key → rate limit → upload checks →
 * KV cache → the image's Durable Object (coalesced there) → container → KV → caller.
 */
import { type Context, Hono, type TypedResponse } from "hono";
import type { z } from "zod";
import type { AnalysisResponse } from "../../contract/analysis.ts";
import {
  ApiError,
  type ErrorEnvelope,
  misconfigured,
  toErrorResponse,
  type ValidationEnvelope,
} from "../../contract/errors.ts";
import { mediaTypeOf } from "../../contract/formats.ts";
import { openApiDocument } from "../../contract/openapi.ts";
import type { UrlRequestSchema } from "../../contract/schemas.ts";
import { ANALYSIS_PATH, REQUEST_ID_HEADER, requestIdFrom, URL_ANALYSIS_PATH } from "../../contract/service.ts";
import pkg from "../../package.json" with { type: "json" };
import { type AuthVariables, authenticate } from "./auth/index.ts";
import {
  type CachedResult,
  cachePartition,
  etagFor,
  readResult,
  resultKey,
  storeResult,
  urlResultKey,
} from "./cache/index.ts";
import { configFor, type Env, loadedConfig } from "./config.ts";
import { sha256Hex } from "./digest.ts";
import { corsPolicy, securityHeaders } from "./headers/index.ts";
import { health, probeInstances } from "./health/index.ts";
import { describeCause, log } from "./log.ts";
import { DOCS_HTML, DOCS_JS } from "./pages/docs.ts";
import { FAVICON_ICO } from "./pages/favicon.ts";
import { PLAYGROUND_HTML, PLAYGROUND_JS } from "./pages/playground.ts";
import { rateLimit } from "./ratelimit/index.ts";
import { analyseOnContainer } from "./routing/index.ts";
import { downloadImage, loggableUrl, parseUrlRequest } from "./source/index.ts";
import { checkSourceUrl } from "./ssrf/index.ts";
import { readUpload, type Upload } from "./upload/index.ts";

type AppEnv = { Bindings: Env; Variables: AuthVariables & { requestId: string; startedAt: number } };

/** Milliseconds since `since`, to one decimal, for `Server-Timing` and `processing_time_ms`. */
function elapsedMs(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}

type Ctx = Context<AppEnv>;

/** The paths a health check may poll: they answer 503 `{"status":"unhealthy"}` on a misconfigured Worker. */
const HEALTH_PATHS = ["/", "/health"];

/** KV's shortest expiration: a result allowed to live less than this is not cached. */
const KV_MIN_TTL_S = 60;

/**
 * The answer's body and headers. `processing_time_ms` means the same on a hit and a miss: the time this
 * request spent in the service, from the Worker receiving it to the answer being ready (a URL's download
 * included). `Server-Timing` splits it: `download`, `edge` (the Worker's own share), then either
 * `cache;desc="hit"` or `container` and the container's `decode` and `analyse`.
 */
function respond(
  c: Ctx,
  result: CachedResult,
  etag: string,
  timing: { downloadMs?: number; container?: { durationMs: number; serverTiming: string | null } },
): Response {
  const processingMs = elapsedMs(c.get("startedAt"));
  const containerMs = timing.container?.durationMs ?? 0;
  const edgeMs = Math.max(0, processingMs - containerMs - (timing.downloadMs ?? 0));
  c.header("ETag", etag);
  c.header(
    "Server-Timing",
    [
      timing.downloadMs === undefined ? null : `download;dur=${timing.downloadMs}`,
      `edge;dur=${edgeMs.toFixed(1)}`,
      ...(timing.container
        ? [`container;dur=${containerMs.toFixed(1)}`, timing.container.serverTiming]
        : ['cache;desc="hit"']),
    ]
      .filter(Boolean)
      .join(", "),
  );
  const cached = !timing.container;
  return c.json({ ...result, cached, processing_time_ms: processingMs } satisfies AnalysisResponse);
}

/** The part of the result cache this request may read and write (RESULT_CACHE_SCOPE). */
function partitionOf(c: Ctx): string {
  return cachePartition(configFor(c.env).resultCacheScope, c.get("principal"));
}

/**
 * The answer for a checked image, whether uploaded or downloaded: from the KV cache by content when it can,
 * else from its container instance. `downloadMs` is the URL download's share of the time. `store`
 * false keeps the result out of every cache (the image's server said `no-store` or `private`).
 */
async function answer(
  c: Ctx,
  image: Pick<Upload, "file" | "sha256" | "params">,
  options: { downloadMs?: number; store?: boolean } = {},
): Promise<{ response: Response; result?: CachedResult; etag: string }> {
  const config = configFor(c.env);
  const key = await resultKey(image.sha256, image.params, partitionOf(c));
  const etag = await etagFor(image.sha256, image.params);
  const hit = await readResult(c.env.RESULTS, key);
  if (hit) return { response: respond(c, hit.result, etag, options), result: hit.result, etag };

  const cache = { key, etag: options.store === false ? null : etag };
  const { response, durationMs } = await analyseOnContainer(c.env, config, image, cache, c.get("requestId"));
  if (response.status !== 200) {
    // The container's (or the Durable Object's) own envelope and headers, e.g. Retry-After.
    const headers = new Headers(response.headers);
    return { response: c.newResponse(response.body, { status: response.status as 503, headers }), etag };
  }
  const { cached: _cached, processing_time_ms: _time, ...result } = await response.json<AnalysisResponse>();
  const container = { durationMs, serverTiming: response.headers.get("Server-Timing") };
  return { response: respond(c, result, etag, { ...options, container }), result, etag };
}

/**
 * The pages' Content-Security-Policy: their own scripts only, inline styles, pictures from anywhere (the
 * playground shows the image of a URL), requests to this origin only.
 */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data: https: http:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** How long browsers and caches may keep a page or its script, in seconds. */
const PAGE_MAX_AGE_S = 300;

function page(c: Ctx, html: string): Response {
  return c.html(html, 200, {
    "Content-Security-Policy": PAGE_CSP,
    "Cache-Control": `public, max-age=${PAGE_MAX_AGE_S}`,
  });
}

function script(c: Ctx, js: string): Response {
  return c.body(js, 200, {
    "Content-Type": "text/javascript; charset=utf-8",
    "Cache-Control": `public, max-age=${PAGE_MAX_AGE_S}`,
  });
}

/** What a typed client sends to each analysis route (the Worker reads and checks the raw body itself). */
type UploadInput = { in: { form: { image: File | Blob } }; out: { form: { image: File } } };
type UrlInput = { in: { json: z.input<typeof UrlRequestSchema> }; out: { json: z.output<typeof UrlRequestSchema> } };
type ErrorStatus = 400 | 401 | 413 | 415 | 422 | 429 | 503 | 504;

/** An analysis answer as a typed client sees it: the numbers with 200, the error envelope otherwise. */
function typed(response: Response) {
  return response as unknown as
    | TypedResponse<AnalysisResponse, 200, "json">
    | TypedResponse<ErrorEnvelope | ValidationEnvelope, ErrorStatus, "json">;
}

/**
 * Builds the Worker's app.
 *
 * @example
 * export default { fetch: createApp().fetch };
 */
export function createApp() {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const startedAt = performance.now();
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", requestId);
    c.set("startedAt", startedAt);
    await next();
    c.header(REQUEST_ID_HEADER, requestId);
    log("info", "request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: elapsedMs(startedAt),
    });
  });
  app.use(securityHeaders());
  app.use(corsPolicy());
  // A bad setting answers every request here, after the headers above (so the answer still carries them):
  // health checks say unhealthy, everything else is a 503 `misconfigured`. The log names the variable, once.
  app.use(async (c, next) => {
    if ("error" in loadedConfig(c.env)) {
      if (HEALTH_PATHS.includes(c.req.path)) return c.json({ ...health(), status: "unhealthy" as const }, 503);
      throw misconfigured();
    }
    return next();
  });

  const api = app
    // The reference answers `GET /` like its health check (and its own tests check it).
    .get("/", (c) => c.json(health()))
    .get(
      "/health",
      // `deep=1` asks every instance: it needs a key and counts against the rate limit like the API.
      (c, next) => (c.req.query("deep") === "1" ? authenticate<AppEnv>()(c, next) : next()),
      (c, next) => (c.req.query("deep") === "1" ? rateLimit<AppEnv>()(c, next) : next()),
      async (c) => {
        if (c.req.query("deep") !== "1") return c.json(health());
        return c.json({ ...health(), instances: await probeInstances(c.env, configFor(c.env)) });
      },
    )
    .post(ANALYSIS_PATH, authenticate(), rateLimit(), async (c: Context<AppEnv, typeof ANALYSIS_PATH, UploadInput>) => {
      const upload = await readUpload(c.req.raw, configFor(c.env));
      return typed((await answer(c, upload)).response);
    })
    .post(
      URL_ANALYSIS_PATH,
      authenticate(),
      rateLimit(),
      async (c: Context<AppEnv, typeof URL_ANALYSIS_PATH, UrlInput>) => {
        const config = configFor(c.env);
        const { url: rawUrl, params } = await parseUrlRequest(c.req.raw);
        const { url } = checkSourceUrl(rawUrl, config); // refuse what the text alone shows, before any lookup
        const urlKey = await urlResultKey(url, params, partitionOf(c));
        const hit = await readResult(c.env.RESULTS, urlKey);
        // The ETag stored beside a URL's result is its content's, so it equals the miss's (cache/index.ts).
        if (hit?.etag) return typed(respond(c, hit.result, hit.etag, {}));

        const downloadStartedAt = performance.now();
        const downloaded = await downloadImage(url.href, {
          maxBytes: config.maxUploadBytes,
          deadlineMs: config.urlFetchTimeoutMs,
          resolverUrl: config.dnsResolverUrl,
          allowedPrivateOrigins: config.allowedPrivateOrigins,
        });
        const downloadMs = elapsedMs(downloadStartedAt);
        log("info", "downloaded", {
          request_id: c.get("requestId"),
          source: loggableUrl(url),
          bytes: downloaded.bytes.length,
          duration_ms: downloadMs,
        });
        const file = new File([downloaded.bytes], "image", { type: mediaTypeOf(downloaded.format) });
        const sha256 = await sha256Hex(downloaded.bytes);
        // An image whose server forbids caching (`no-store`, `private`) stays out of every cache, the
        // content-keyed one included.
        const store = !downloaded.uncacheable;
        const { response, result, etag } = await answer(c, { file, sha256, params }, { downloadMs, store });

        // Cached for no longer than the server allows.
        const ttlS = Math.min(config.urlResultTtlS, downloaded.maxAgeS ?? config.urlResultTtlS);
        if (result && store && ttlS >= KV_MIN_TTL_S) {
          const body = { ...result, cached: false, processing_time_ms: 0 } satisfies AnalysisResponse;
          c.executionCtx.waitUntil(
            storeResult(c.env.RESULTS, urlKey, body, ttlS, etag).catch((cause: unknown) =>
              log("warn", "URL result not cached", { request_id: c.get("requestId"), cause: describeCause(cause) }),
            ),
          );
        }
        return typed(response);
      },
    );

  // What people read and try: the OpenAPI document, its page, the playground. No key needed, no container woken.
  app.get("/openapi.json", (c) => c.json(openApiDocument(new URL(c.req.url).origin, pkg.version)));
  app.get("/docs", (c) => page(c, DOCS_HTML));
  app.get("/docs.js", (c) => script(c, DOCS_JS));
  app.get("/playground", (c) => page(c, PLAYGROUND_HTML));
  app.get("/playground.js", (c) => script(c, PLAYGROUND_JS));
  app.get("/favicon.ico", (c) =>
    c.body(FAVICON_ICO, 200, {
      "Content-Type": "image/x-icon",
      "Cache-Control": `public, max-age=${PAGE_MAX_AGE_S}`,
    }),
  );

  // A path that exists with another method is 405 with `Allow` (RFC 9110 §15.5.6), not 404.
  app.notFound((c) => {
    const allowed = new Set(app.routes.filter((r) => r.path === c.req.path && r.method !== "ALL").map((r) => r.method));
    if (allowed.size === 0) throw new ApiError(404, "not_found", "Not Found");
    if (allowed.has("GET")) allowed.add("HEAD");
    allowed.add("OPTIONS");
    const allow = [...allowed].sort().join(", ");
    throw new ApiError(405, "method_not_allowed", "Method Not Allowed", {
      extra: { allowed_methods: [...allowed].sort() },
      headers: { Allow: allow },
    });
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? requestIdFrom(undefined);
    const { error, status, body, headers } = toErrorResponse(err, requestId);
    if (status >= 500) {
      log("error", error.message, {
        request_id: requestId,
        code: error.code,
        cause: describeCause(error.cause ?? err),
      });
    }
    return c.json(body, status as 400, { ...headers, [REQUEST_ID_HEADER]: requestId });
  });

  return api;
}

/**
 * The API's type, for typed clients with `hono/client` (README: "A typed client").
 *
 * @example
 * const client = hc<AppType>("https://image-insights-api.example.workers.dev");
 */
export type AppType = ReturnType<typeof createApp>;
