/** The results file (CSV or NDJSON, by its extension) and the summary line. Pure but for the one write. */
import { writeFileSync } from "node:fs";
import { stringify } from "csv-stringify/sync";
import type { JobResultLine } from "../../contract/jobs.ts";

/** The results file's format from its name: `.ndjson`/`.jsonl` or `.csv`; null for anything else. */
export function formatOf(path: string): "csv" | "ndjson" | null {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl")) return "ndjson";
  return null;
}

/** Nested fields get dotted names (`histogram.0.percent`), as in the API's own CSV. */
function flatten(value: unknown, prefix: string, into: Record<string, unknown>): Record<string, unknown> {
  if (value !== null && typeof value === "object")
    for (const [key, inner] of Object.entries(value)) flatten(inner, `${prefix}.${key}`, into);
  else into[prefix] = value;
  return into;
}

/**
 * The lines as the API's CSV has them (`index,id,source,status,error_code,error,result.…`), one header row for
 * every job's lines together: the result columns are every column any line has, in the order first seen.
 *
 * @example
 * toCsv([{ index: 0, id: "a.png", source: "upload:a.png", status: "succeeded", result: { brightness_score: 50, … } }]);
 * // "index,id,source,status,error_code,error,result.brightness_score,…\n0,a.png,upload:a.png,succeeded,,,50,…\n"
 */
export function toCsv(lines: JobResultLine[]): string {
  const rows = lines.map((line) => ({
    index: line.index,
    id: line.id,
    source: line.source,
    status: line.status,
    error_code: line.status === "succeeded" ? null : line.error.code,
    error: line.status === "succeeded" ? null : line.error.error,
    ...(line.status === "succeeded" ? flatten(line.result, "result", {}) : {}),
  }));
  const columns = [
    ...new Set(["index", "id", "source", "status", "error_code", "error", ...rows.flatMap(Object.keys)]),
  ];
  return stringify(
    rows.map((row) => columns.map((column) => (row as Record<string, unknown>)[column] ?? null)),
    { header: true, columns },
  );
}

export function writeResults(path: string, lines: JobResultLine[]): void {
  writeFileSync(
    path,
    formatOf(path) === "ndjson" ? lines.map((line) => `${JSON.stringify(line)}\n`).join("") : toCsv(lines),
  );
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
