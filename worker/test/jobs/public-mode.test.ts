/**
 * Jobs on a public deployment (PUBLIC_API=true: no key; the principal is the client's address, IPv6 by /64):
 * callers behind one NAT share an address, never a job. The Worker's handler is called directly with the
 * public settings, on the real bindings (the jobs' Durable Objects, Miniflare's queue, the container process).
 */
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { JobSchema } from "../../../contract/jobs.ts";
import worker from "../../src/index.ts";

const PUBLIC = { API_KEYS: "", PUBLIC_API: "true" };
const NAT_ADDRESS = "203.0.113.7";

async function call(path: string, init: RequestInit = {}, headers: Record<string, string> = {}): Promise<Response> {
  const request = new Request(`https://api.test${path}`, {
    ...init,
    headers: { "CF-Connecting-IP": NAT_ADDRESS, ...headers, ...(init.headers as Record<string, string>) },
  });
  return worker.fetch(request, { ...env, ...PUBLIC }, createExecutionContext());
}

describe("a public deployment's jobs", () => {
  it("need the job's token to be read, downloaded or cancelled, even from the same address; listing needs a key", async () => {
    const body = JSON.stringify({ items: [{ url: `${inject("sourceUrl")}/slow/1000/980` }] });
    const submitted = await call("/v1/jobs", {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", "Idempotency-Key": "public-1" },
    });
    expect(submitted.status).toBe(202);
    const job = JobSchema.parse(await submitted.json());
    expect(job.job_token).toMatch(/^jt_[0-9a-f]{32}$/);
    const token = { "X-Job-Token": job.job_token as string };

    // A neighbour behind the same NAT (same address) without the token, or with another, sees nothing.
    const strangers: Record<string, string>[] = [{}, { "X-Job-Token": "jt_00000000000000000000000000000000" }];
    for (const headers of strangers) {
      expect((await call(`/v1/jobs/${job.job_id}`, {}, headers)).status).toBe(404);
      expect((await call(`/v1/jobs/${job.job_id}/results`, {}, headers)).status).toBe(404);
      expect((await call(`/v1/jobs/${job.job_id}`, { method: "DELETE" }, headers)).status).toBe(404);
    }
    const listed = await call("/v1/jobs");
    expect(listed.status).toBe(403);
    expect(await listed.json()).toMatchObject({ detail: { code: "listing_needs_key" } });

    // The submitter reads it with its token; a retried submission (its first answer lost) gets the token back.
    const read = await call(`/v1/jobs/${job.job_id}`, {}, token);
    expect(read.status).toBe(200);
    const view = JobSchema.parse(await read.json());
    expect(view).toMatchObject({ job_id: job.job_id, total: 1 });
    expect(view.job_token).toBeUndefined(); // shown to the submission only
    const retried = await call("/v1/jobs", {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", "Idempotency-Key": "public-1" },
    });
    expect(JobSchema.parse(await retried.json())).toMatchObject({ job_id: job.job_id, job_token: job.job_token });
    const cancelled = await call(`/v1/jobs/${job.job_id}`, { method: "DELETE" }, token);
    expect(cancelled.status).toBe(200);
  });
});
