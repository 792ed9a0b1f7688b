/**
 * `GET /` and `GET /health`, declared once (validation, types, the typed client and the OpenAPI document all
 * come from this), and their handlers.
 */
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";

import { authenticate } from "../auth/index.ts";
import { configFor, refusesEveryCall } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { COMMON_ERRORS, jsonAnswer, KEY_SECURITY, Named } from "../openapi/index.ts";
import { rateLimit } from "../ratelimit/index.ts";
import { health, keylessHealth, probeInstances } from "./index.ts";

const isDeep = (c: { req: { query(name: string): string | undefined } }) => c.req.query("deep") === "1";

/** `deep=1` asks every instance: it needs a key and counts against the rate limit like the API. */
function whenDeep(middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c, next) => (isDeep(c) ? middleware(c, next) : next());
}

/**
 * A Worker with no API key that is not open answers 401 to every call: a health check says so (503, with a
 * `reason`) before anything else, `deep=1` included, rather than `healthy` over a service no one can use.
 */
const unlessRefusingEveryCall: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (refusesEveryCall(configFor(c.env))) return c.json(keylessHealth(), 503);
  return next();
};

const UNHEALTHY = jsonAnswer(
  'A setting of the service is invalid, or no API key is configured and the API is not public, so every call would be refused (then `reason` says what to do): `{"status":"unhealthy"}`.',
  Named.HealthResponse,
);

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "health",
  tags: ["service"],
  summary: "Health of the Worker (and, with deep=1, of each container instance)",
  description:
    "Open without a key, and never touches a container. `deep=1` adds each instance's state, read without starting or waking its container; it needs a key and is rate limited like the API.",
  security: [{}, ...KEY_SECURITY],
  middleware: [unlessRefusingEveryCall, whenDeep(authenticate<AppEnv>()), whenDeep(rateLimit<AppEnv>())] as const,
  request: {
    query: z.object({
      deep: z.enum(["1"]).optional().describe("1: add each container instance's state (needs a key)."),
    }),
  },
  responses: {
    200: jsonAnswer("Healthy.", Named.HealthResponse.or(Named.DeepHealthResponse)),
    401: COMMON_ERRORS[401],
    429: COMMON_ERRORS[429],
    503: UNHEALTHY,
  },
});

export const rootRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "root",
  tags: ["service"],
  summary: "The Worker's health, as the reference service answers its root",
  security: [{}],
  middleware: [unlessRefusingEveryCall] as const,
  responses: { 200: jsonAnswer("Healthy.", Named.HealthResponse), 503: UNHEALTHY },
});

/** `GET /`: the reference answers it like its health check (and its own tests check it). */
export const rootHandler: RouteHandler<typeof rootRoute, AppEnv> = (c) => c.json(health(), 200);

/** `GET /health`: the Worker's own state; with `deep=1`, every instance's container too. */
export const healthHandler: RouteHandler<typeof healthRoute, AppEnv> = async (c) => {
  if (c.req.valid("query").deep !== "1") return c.json(health(), 200);
  return c.json({ ...health(), instances: await probeInstances(c.env, configFor(c.env)) }, 200);
};
