/**
 * The CLI's side of the API: the job routes through the typed client (client.ts), every answer checked against
 * the contract's schemas at run time, every 429 and 503 waited out as its Retry-After says, and every failure
 * turned into words a user can act on.
 */
import type { ClientResponse } from "hono/client";
import { type Duplicates, DuplicatesSchema } from "../../../contract/duplicates.ts";
import {
  IDEMPOTENCY_KEY_HEADER,
  JOB_TOKEN_HEADER,
  type Job,
  type JobRequest,
  type JobResultLine,
  JobResultLineSchema,
  JobSchema,
} from "../../../contract/jobs.ts";
import { createClient } from "./client.ts";

/** Any answer of the typed client, read as a plain response: its body is checked against the schemas here. */
type Answer = ClientResponse<unknown, number>;

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
  /** A finished job's exact and near duplicates (GET /v1/jobs/{job_id}/duplicates). */
  duplicates(jobId: string): Promise<Duplicates>;
  /** A finished job's ZIP (results.csv, results.ndjson, duplicates.json, manifest.json), as it streams in. */
  zip(jobId: string): Promise<ReadableStream<Uint8Array>>;
}

/**
 * @example
 * const api = jobsApi("http://localhost:8787", process.env.IMAGE_INSIGHTS_API_KEY, console.error);
 * const job = await api.submit({ json: { items: [{ url }] } }, "my-key");
 */
export function jobsApi(base: string, key: string | undefined, note: (line: string) => void): JobsApi {
  const client = createClient(base, key ? { apiKey: key } : {});
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
  async function send(what: string, request: () => Promise<Answer>): Promise<Answer> {
    for (let waits = 0; ; waits++) {
      let res: Answer;
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
  async function refusal(what: string, res: Answer): Promise<RunError> {
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
    async duplicates(jobId) {
      const res = await send(`reading ${jobId}'s duplicates`, () =>
        client.v1.jobs[":job_id"].duplicates.$get({ param: { job_id: jobId } }, tokenOf(jobId)),
      );
      if (res.status !== 200) throw await refusal(`The duplicates of ${jobId} could not be read`, res);
      return DuplicatesSchema.parse(await res.json());
    },
    async zip(jobId) {
      const res = await send(`downloading ${jobId}'s ZIP`, () =>
        client.v1.jobs[":job_id"].results.$get({ param: { job_id: jobId }, query: { format: "zip" } }, tokenOf(jobId)),
      );
      if (res.status !== 200 || !res.body) throw await refusal(`The ZIP of ${jobId} could not be downloaded`, res);
      return res.body as ReadableStream<Uint8Array>;
    },
  };
}
