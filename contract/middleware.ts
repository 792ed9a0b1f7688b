/**
 * The first two steps of every request, the same in both programs (both are Hono apps): its request ID, taken
 * with Hono's own `requestId` middleware under the contract's rule for an incoming ID, and its access line in
 * the log.
 *
 * @example
 * app.use(requestId(requestIdOptions));
 * app.use(accessLog(log));
 */
import type { Context, MiddlewareHandler } from "hono";
import type { requestId } from "hono/request-id";
import type { LogFields, Logger } from "./log.ts";
import { elapsedMs, REQUEST_ID_HEADER, requestIdFrom } from "./service.ts";

/**
 * Hono's `requestId` under the contract's rule (`requestIdFrom`: a caller's ID of letters, digits, `.`, `_`, `:`
 * and `-`, at most 128 characters, else a fresh UUID). Hono keeps an incoming ID of `\w`, `-` and `=` up to
 * `limitLength` without asking the generator; at 0 every incoming ID goes to the generator, so the rule is the
 * contract's alone and a Worker and its container take the same IDs.
 */
export const requestIdOptions: NonNullable<Parameters<typeof requestId>[0]> = {
  headerName: REQUEST_ID_HEADER,
  limitLength: 0,
  generator: (c) => requestIdFrom(c.req.header(REQUEST_ID_HEADER)),
};

/** What `accessLog` needs on the context: the ID that `requestId` set, and the time it stamps. */
export type AccessLogVariables = {
  requestId: string;
  /** `performance.now()` when the request arrived: `processing_time_ms` and `duration_ms` count from it. */
  startedAt: number;
};

/**
 * Stamps `startedAt`, then, once the request is answered, writes its access line (method, path, status,
 * duration_ms, and whatever `fields` adds) and puts the request ID on the answer. `requestId` has put it there
 * already, but an answer a handler builds as a whole (a container's, passed through with its own headers, or a
 * plain `Response`) replaces the headers it set: this one is the caller's ID whatever the handler returned.
 *
 * @example
 * app.use(accessLog(log, (c) => ({ priority: c.req.header(PRIORITY_HEADER) === "batch" ? "batch" : undefined })));
 */
export function accessLog<E extends { Variables: AccessLogVariables }>(
  log: Logger,
  fields: (c: Context<E>) => LogFields = () => ({}),
): MiddlewareHandler<E> {
  return async (c, next) => {
    c.set("startedAt", performance.now());
    await next();
    const requestId = c.get("requestId");
    c.header(REQUEST_ID_HEADER, requestId);
    log("info", "request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: elapsedMs(c.get("startedAt")),
      ...fields(c),
    });
  };
}
