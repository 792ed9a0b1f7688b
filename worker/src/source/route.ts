/**
 * `POST /v1/image/analysis/url`, declared once (validation, types, the typed client and the OpenAPI document
 * all come from this), and its handler.
 */
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { URL_ANALYSIS_PATH } from "../../../contract/service.ts";
import { analysisOptions, answer, declared } from "../analysis/answer.ts";
import { analyseUrl } from "../analysis/index.ts";
import { authenticate } from "../auth/index.ts";
import { configFor } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { rememberJson } from "../openapi/body.ts";
import {
  ANALYSED,
  COMMON_ERRORS,
  jsonAnswer,
  KEY_SECURITY,
  Named,
  TOO_LARGE,
  UNPROCESSABLE,
} from "../openapi/index.ts";
import { rateLimit } from "../ratelimit/index.ts";
import { parseUrlRequest } from "./index.ts";

/**
 * Reads the JSON body before the route's validators run, with the reference service's checks and words in
 * its order (size, JSON, `url` present, not empty, then the parameters); the JSON validator then reads Hono's
 * cached copy.
 */
function receiveUrlRequest(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const request = await parseUrlRequest(c.req.raw);
    c.set("urlRequest", request);
    rememberJson(c, request.body);
    await next();
  };
}

export const analyseUrlRoute = createRoute({
  method: "post",
  path: URL_ANALYSIS_PATH,
  operationId: "analyseUrl",
  tags: ["analysis"],
  summary: "Analyse an image downloaded from a public URL",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>(), receiveUrlRequest()] as const,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: Named.UrlRequest,
          example: { url: "https://example.com/photo.jpg", metrics: "brightness,median" },
        },
      },
    },
  },
  responses: {
    200: ANALYSED,
    400: jsonAnswer(
      "Empty URL, another scheme or port, a private or local address, an upstream answer other than 200, or one that could not be read to the end.",
      Named.ErrorEnvelope,
    ),
    ...{ 401: COMMON_ERRORS[401] },
    413: TOO_LARGE,
    415: jsonAnswer("The downloaded bytes are not an accepted image format.", Named.ErrorEnvelope),
    422: UNPROCESSABLE,
    429: COMMON_ERRORS[429],
    503: COMMON_ERRORS[503],
    504: COMMON_ERRORS[504],
  },
});

/** The URL's handler: the body its middleware read and checked, then the analysis pipeline (download first). */
export const analyseUrlHandler: RouteHandler<typeof analyseUrlRoute, AppEnv> = async (c) => {
  const { url, params } = c.get("urlRequest");
  return declared(answer(c, await analyseUrl(c.env, configFor(c.env), url, params, analysisOptions(c))));
};
