/**
 * The Worker's Hono environment: its bindings and what middleware records on each request's context.
 */
import type { AuthVariables } from "./auth/index.ts";
import type { Env } from "./env.ts";
import type { Submission } from "./jobs/submit.ts";
import type { UrlRequest } from "./source/index.ts";

export type AppEnv = {
  Bindings: Env;
  Variables: AuthVariables & {
    requestId: string;
    /** `performance.now()` when the Worker received the request. */
    startedAt: number;
    /** The URL route's body, read and checked by its route middleware (source/route.ts). */
    urlRequest: UrlRequest;
    /**
     * A job submission's ID and, for a JSON one, its body read and checked by the route's middleware
     * (jobs/route.ts); null for a multipart one, which the handler reads after the query's validation.
     */
    job: { jobId: string; submission: Submission | null };
  };
};
