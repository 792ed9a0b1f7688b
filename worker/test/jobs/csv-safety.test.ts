/**
 * A job's results as CSV never carry a caller's formula into a spreadsheet: end to end through the Worker, the
 * job, the queue and the container (contract/result-columns.ts `safeCell` has each leading character).
 */
import { SELF } from "cloudflare:test";
import { parse } from "csv-parse/sync";
import { expect, inject, it } from "vitest";
import { JobSchema } from "../../../contract/jobs.ts";
import { pollUntil } from "../helpers.ts";

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
  const view = async () => {
    const res = await SELF.fetch(`https://api.test/v1/jobs/${job_id}`, { headers: { "X-API-Key": KEY } });
    return JobSchema.parse(await res.json());
  };
  await pollUntil(`job ${job_id} succeeded`, view, ({ status }) => status === "succeeded", {
    timeoutMs: JOB_TIMEOUT_MS,
    intervalMs: POLL_MS,
  });

  const csv = await SELF.fetch(`https://api.test/v1/jobs/${job_id}/results?format=csv`, {
    headers: { "X-API-Key": KEY },
  });
  // As a spreadsheet reads it (RFC 4180: the formula's quotes doubled inside a quoted field, undone here).
  const rows = parse<Record<string, string>>(await csv.text(), { columns: true });
  const imageUrl = expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/image\.png$/);
  expect(rows).toHaveLength(2);
  expect(Object.keys(rows[0] ?? {}).slice(0, 8)).toEqual([
    "index",
    "id",
    "source",
    "status",
    "error_code",
    "error",
    "result.brightness_score",
    "result.average_luminance",
  ]);
  // The field starts with `'`, which no spreadsheet runs.
  expect(rows[0]).toMatchObject({
    index: "0",
    id: `'${formula}`,
    source: imageUrl,
    status: "succeeded",
    error_code: "",
    error: "",
    "result.brightness_score": "100",
  });
  // An id that reads like a negative number is text here, and stays text; the numbers of the result stay numbers.
  expect(rows[1]).toMatchObject({
    index: "1",
    id: "'-12",
    source: imageUrl,
    status: "succeeded",
    error_code: "",
    error: "",
    "result.brightness_score": "100",
    "result.average_luminance": "255",
  });

  // NDJSON keeps what the caller sent, as it was.
  const ndjson = await SELF.fetch(`https://api.test/v1/jobs/${job_id}/results`, { headers: { "X-API-Key": KEY } });
  // (Decoded by hand: workerd warns of .text() on a type it does not know for text.)
  const text = new TextDecoder().decode(await ndjson.arrayBuffer());
  const first = JSON.parse(text.split("\n")[0] as string) as { id: string };
  expect(first.id).toBe(formula);
});
