/**
 * `POST /v1/image/analysis`, declared once (validation, types, the typed client and the OpenAPI document all
 * come from this), and its handler.
 */
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { AnalysisQuerySchema } from "../../../contract/analysis.ts";
import { ANALYSIS_PATH, IMAGE_FIELD } from "../../../contract/service.ts";
import { analysisOptions, answer, declared } from "../analysis/answer.ts";
import { analyseImage } from "../analysis/index.ts";
import { authenticate } from "../auth/index.ts";
import { configFor } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { rememberForm } from "../openapi/body.ts";
import {
  ANALYSED,
  COMMON_ERRORS,
  examples,
  jsonAnswer,
  KEY_SECURITY,
  Named,
  TOO_LARGE,
  UNPROCESSABLE,
} from "../openapi/index.ts";
import { rateLimit } from "../ratelimit/index.ts";
import { checkImage, receiveForm } from "./index.ts";

/** The multipart body: one file. */
export const UploadFormSchema = z.object({
  [IMAGE_FIELD]: z.instanceof(Blob).openapi({
    type: "string",
    format: "binary",
    description: "JPEG, PNG, WebP, AVIF or GIF (first frame); up to 5 MiB.",
  }),
});

/**
 * Receives the body before the route's validators run, so the reference's order of checks holds (body size,
 * then the `image` field, then the parameters) and the body is read once, under its size cap; the form
 * validator then reads Hono's cached copy.
 */
function receiveUpload(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { form } = await receiveForm(c.req.raw, configFor(c.env));
    rememberForm(c, form);
    await next();
  };
}

export const analyseUploadRoute = createRoute({
  method: "post",
  path: ANALYSIS_PATH,
  operationId: "analyseUpload",
  tags: ["analysis"],
  summary: "Analyse an uploaded image",
  security: KEY_SECURITY,
  middleware: [authenticate<AppEnv>(), rateLimit<AppEnv>(), receiveUpload()] as const,
  request: {
    query: AnalysisQuerySchema,
    body: { required: true, content: { "multipart/form-data": { schema: UploadFormSchema } } },
  },
  responses: {
    200: ANALYSED,
    400: jsonAnswer(
      "Invalid parameters, an empty file, or a file that is not a decodable image.",
      Named.ErrorEnvelope,
      { invalid_metrics: examples.invalid_metrics, invalid_algorithm: examples.invalid_algorithm },
    ),
    ...{ 401: COMMON_ERRORS[401] },
    413: TOO_LARGE,
    415: jsonAnswer(
      "A format other than JPEG, PNG, WebP, AVIF or GIF (decided by the file's bytes).",
      Named.ErrorEnvelope,
      { unsupported_type: examples.unsupported_type },
    ),
    422: UNPROCESSABLE,
    429: COMMON_ERRORS[429],
    503: COMMON_ERRORS[503],
    504: COMMON_ERRORS[504],
  },
});

/**
 * The upload's handler: the form's file checked (size, magic bytes), then the analysis pipeline with the
 * parameters the route's query schema parsed.
 */
export const analyseUpload: RouteHandler<typeof analyseUploadRoute, AppEnv> = async (c) => {
  const config = configFor(c.env);
  const checked = await checkImage(c.req.valid("form").image as File, config);
  const image = { ...checked, params: c.req.valid("query") };
  return declared(answer(c, await analyseImage(c.env, config, image, analysisOptions(c))));
};
