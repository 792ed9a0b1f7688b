/**
 * The CLI's side of the API: `hono/client` over the job routes, typed from the contract (the schemas the Worker's
 * route declarations are built from), every answer checked against them at run time, and every failure turned
 * into words a user can act on.
 *
 * Why not `hc<AppType>`: AppType drags the Worker's sources into this Node program's type check, where
 * workerd's globals (KVNamespace, DurableObjectState…) do not exist. The paths below are the Worker's; the CLI's
 * end-to-end test checks them against the live /openapi.json.
 */
import type { Hono } from "hono";
import { hc } from "hono/client";
import {
  IDEMPOTENCY_KEY_HEADER,
  JOB_TOKEN_HEADER,
  type Job,
  type JobRequest,
  type JobResultLine,
  JobResultLineSchema,
  JobSchema,
} from "../../../contract/jobs.ts";

type Answer<Input, Output, Status extends 200 | 202> = {
  input: Input;
  output: Output;
  outputFormat: Status extends 202 | 200 ? "json" : never;
  status: Status;
};
/** The job routes as `hc` sees them (worker/src/jobs/route.ts declares them). */
type JobRoutes = {
  "/v1/jobs": {
    $post: Answer<{ json?: JobRequest; query?: Record<string, string>; form?: { images: File[] } }, Job, 202>;
  };
  "/v1/jobs/:job_id": { $get: Answer<{ param: { job_id: string } }, Job, 200> };
  "/v1/jobs/:job_id/results": {
    $get: Answer<{ param: { job_id: string }; query?: { format?: "ndjson" | "csv" } }, never, 200>;
  };
};

/** A failure that stops the run; its message is for the user (exit 1). */
export class RunError extends Error {}

/** How many times a 429 or 503 with Retry-After is waited out before giving up. */
const MAX_WAITS = 6;
/** The longest single wait for Retry-After, in seconds. */
const MAX_WAIT_S = 60;

export interface JobsApi {
  submit(
    what: { json: JobRequest } | { form: File[]; query: Record<string, string> },
    idempotencyKey: string,
  ): Promise<Job>;
  /** The job, or null when the API does not know it (404). */
  get(jobId: string): Promise<Job | null>;
  results(jobId: string): Promise<JobResultLine[]>;
}

/**
 * @example
 * const api = jobsApi("http://localhost:8787", process.env.IMAGE_INSIGHTS_API_KEY, console.error);
 * const job = await api.submit({ json: { items: [{ url }] } }, "my-key");
 */
export function jobsApi(base: string, key: string | undefined, note: (line: string) => void): JobsApi {
  const client = hc<Hono<{}, JobRoutes>>(base, { headers: key ? { "X-API-Key": key } : {} });
  /**
   * The job tokens a public deployment (no key) gave this run's submissions: reading a job there needs it. A
   * job of an earlier run reads as gone without it, and its submission, sent again with its Idempotency-Key,
   * gives the token back.
   */
  const tokens = new Map<string, string>();
  const tokenOf = (jobId: string) => {
    const token = tokens.get(jobId);
    return token ? { headers: { [JOB_TOKEN_HEADER]: token } } : undefined;
  };

  /** Sends, waits out 429 and 503 (Retry-After), and turns a network failure into what to check. */
  async function send(what: string, request: () => Promise<Response>): Promise<Response> {
    for (let waits = 0; ; waits++) {
      let res: Response;
      try {
        res = await request();
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        throw new RunError(
          `The API at ${base} did not answer: is it running (npm run dev), and is --api right? (${cause})`,
        );
      }
      const retryAfter = Number(res.headers.get("Retry-After"));
      if ((res.status === 429 || res.status === 503) && retryAfter >= 0 && waits < MAX_WAITS) {
        const seconds = Math.min(MAX_WAIT_S, Math.max(1, retryAfter));
        note(`${what}: the API answered ${res.status}, trying again in ${seconds} s`);
        await res.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        continue;
      }
      return res;
    }
  }

  /** The API's refusal in words, with what to do about the usual ones. */
  async function refusal(what: string, res: Response): Promise<RunError> {
    const text = await res.text();
    let detail: { code?: string; error?: string; msg?: string } | undefined;
    try {
      const body = JSON.parse(text) as { detail?: unknown };
      detail = (Array.isArray(body.detail) ? body.detail[0] : body.detail) as typeof detail;
    } catch {
      // Not JSON: not this API (a proxy, another server on that port).
    }
    const said = detail ? ` ${detail.code ?? "validation_error"}: ${detail.error ?? detail.msg}` : "";
    const hint =
      res.status === 401
        ? " Give the key with --key or IMAGE_INSIGHTS_API_KEY."
        : !detail || res.status === 404 || res.status === 405
          ? ` Is ${base} the image-insights API's address (--api)?`
          : "";
    return new RunError(`${what}: the API answered ${res.status}${said}.${hint}`);
  }

  return {
    async submit(what, idempotencyKey) {
      const headers = { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey };
      const res = await send("submitting", () =>
        "json" in what
          ? client.v1.jobs.$post({ json: what.json }, { headers })
          : client.v1.jobs.$post({ query: what.query, form: { images: what.form } }, { headers }),
      );
      if (res.status !== 202) throw await refusal("The job was refused", res);
      const job = JobSchema.parse(await res.json());
      if (job.job_token) tokens.set(job.job_id, job.job_token);
      return job;
    },
    async get(jobId) {
      const res = await send(`reading ${jobId}`, () =>
        client.v1.jobs[":job_id"].$get({ param: { job_id: jobId } }, tokenOf(jobId)),
      );
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (res.status !== 200) throw await refusal(`Job ${jobId} could not be read`, res);
      return JobSchema.parse(await res.json());
    },
    async results(jobId) {
      const res = await send(`reading ${jobId}'s results`, () =>
        client.v1.jobs[":job_id"].results.$get(
          { param: { job_id: jobId }, query: { format: "ndjson" } },
          tokenOf(jobId),
        ),
      );
      if (res.status !== 200) throw await refusal(`The results of ${jobId} could not be read`, res);
      return (await res.text())
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JobResultLineSchema.parse(JSON.parse(line)) as JobResultLine);
    },
  };
}
