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
    /** A job submission, read and checked by its route middleware (jobs/route.ts), and the job's ID. */
    job: { jobId: string; submission: Submission };
  };
};
