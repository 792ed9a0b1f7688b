/**
 * A job's results as CSV never carry a caller's formula into a spreadsheet: end to end through the Worker, the
 * job, the queue and the container (contract/result-columns.ts `safeCell` has each leading character).
 */
import { SELF } from "cloudflare:test";
import { expect, inject, it } from "vitest";
import { JobSchema } from "../../../contract/jobs.ts";

const KEY = "test-key-main";
/** How long the two-item job may take to finish, in milliseconds. */
const JOB_TIMEOUT_MS = 30_000;
/** Pause between two looks at the job's status, in milliseconds. */
const POLL_MS = 200;

it("prefixes an item id that is a formula with a quote, in GET /v1/jobs/{id}/results?format=csv", async () => {
  const formula = '=HYPERLINK("http://x","y")';
  const res = await SELF.fetch("https://api.test/v1/jobs", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": KEY },
    body: JSON.stringify({
      items: [
        { url: `${inject("sourceUrl")}/image.png`, id: formula },
        { url: `${inject("sourceUrl")}/image.png`, id: "-12" },
      ],
      metrics: "brightness",
    }),
  });
  expect(res.status).toBe(202);
  const { job_id } = JobSchema.parse(await res.json());
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  for (;;) {
    const view = await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, { headers: { "X-API-Key": KEY } });
    const { status } = JobSchema.parse(await view.json());
    if (status === "succeeded") break;
    if (Date.now() > deadline) throw new Error(`job ${job_id} still ${status} after ${JOB_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }

  const csv = await SELF.fetch(`https://api.test/v1/jobs/${job_id}/results?format=csv`, {
    headers: { "X-API-Key": KEY },
  });
  const rows = (await csv.text()).trim().split("\n");
  // RFC 4180 quoting doubles the formula's quotes; the field itself starts with `'`, which no spreadsheet runs.
  expect(rows[1]).toMatch(
    /^0,"'=HYPERLINK\(""http:\/\/x"",""y""\)",http:\/\/127\.0\.0\.1:\d+\/image\.png,succeeded,,,100,/,
  );
  // An id that reads like a negative number is text here, and stays text; the numbers of the result stay numbers.
  expect(rows[2]).toMatch(/^1,'-12,http:\/\/127\.0\.0\.1:\d+\/image\.png,succeeded,,,100,255,/);

  // NDJSON keeps what the caller sent, as it was.
  const ndjson = await SELF.fetch(`https://api.test/v1/jobs/${job_id}/results`, { headers: { "X-API-Key": KEY } });
  // (Decoded by hand: workerd warns of .text() on a type it does not know for text.)
  const text = new TextDecoder().decode(await ndjson.arrayBuffer());
  const first = JSON.parse(text.split("\n")[0] as string) as { id: string };
  expect(first.id).toBe(formula);
});
