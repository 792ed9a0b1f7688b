/** The results file (CSV or NDJSON, by its extension) and the summary line. Pure but for the one write. */
import { writeFileSync } from "node:fs";
import { stringify } from "csv-stringify/sync";
import type { AnalysisParams } from "../../../contract/analysis.ts";
import type { JobResultLine } from "../../../contract/jobs.ts";
import { jobCsv } from "../../../contract/result-columns.ts";

/** The results file's format from its name: `.ndjson`/`.jsonl` or `.csv`; null for anything else. */
export function formatOf(path: string): "csv" | "ndjson" | null {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl")) return "ndjson";
  return null;
}

/**
 * The lines as the API's CSV of a job with these parameters has them (contract/result-columns.ts `jobCsv`): the
 * same header (`index,id,source,status,error_code,error`, then `result.` and each of `resultColumns(params)`), so
 * the file of a one-job run is the API's CSV of that job byte for byte; with several jobs, `index` is the place
 * among all the images (the order of the arguments), and one header covers them all, as it would any two jobs with
 * the same parameters. `unlisted`: the fields some result had and no column holds (an API newer than this checkout).
 *
 * @example
 * toCsv([{ index: 0, id: "a.png", source: "upload:a.png", status: "succeeded", result: { brightness_score: 50, … } }], params);
 * // { csv: "index,id,source,status,error_code,error,result.brightness_score,…\n0,a.png,upload:a.png,succeeded,,,50,…\n", unlisted: [] }
 */
export function toCsv(lines: JobResultLine[], params: AnalysisParams): { csv: string; unlisted: string[] } {
  const csv = jobCsv(params);
  return { csv: stringify([csv.header, ...lines.map(csv.row)]), unlisted: [...csv.unlisted].sort() };
}

/** Writes the results file; answers the fields the CSV had no column for (none for NDJSON, which keeps all). */
export function writeResults(path: string, lines: JobResultLine[], params: AnalysisParams): string[] {
  if (formatOf(path) === "ndjson") {
    writeFileSync(path, lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
    return [];
  }
  const { csv, unlisted } = toCsv(lines, params);
  writeFileSync(path, csv);
  return unlisted;
}

/**
 * @example
 * summary(lines, 1, 3.14, "results.csv");
 * // "13 images, 11 analysed, 2 failed (invalid_image 1, download_failed 1), 1 skipped, in 3.1 s: results.csv"
 */
export function summary(lines: JobResultLine[], skipped: number, seconds: number, out: string): string {
  const failures = new Map<string, number>();
  for (const line of lines)
    if (line.status !== "succeeded") failures.set(line.error.code, (failures.get(line.error.code) ?? 0) + 1);
  const failed = lines.length - lines.filter((line) => line.status === "succeeded").length;
  const byCode = [...failures].map(([code, n]) => `${code} ${n}`).join(", ");
  return (
    `${lines.length} image${lines.length === 1 ? "" : "s"}, ${lines.length - failed} analysed, ${failed} failed${byCode ? ` (${byCode})` : ""}` +
    `${skipped ? `, ${skipped} skipped` : ""}, in ${seconds.toFixed(1)} s: ${out}`
  );
}
