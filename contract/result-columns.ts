/**
 * The `result.*` columns of a job's results as CSV, from the job's parameters alone: every field that a
 * successful result of a job with these parameters can carry has a column, in the order a response lists its
 * fields, whatever its images turn out to hold. So two jobs with the same parameters have byte-identical
 * headers (their CSVs can be concatenated), and no result loses a value for want of a column; a value that one
 * result does not have (fewer dominant colours than `colors`, a band or a whole metric with nothing visible, a
 * null) is an empty cell.
 *
 * The nested fields come from the response schema itself (the JSON Schema the OpenAPI document shows), so a new
 * field in a metric's object gets its column with no change here; what depends on the parameters is said
 * below: which top-level fields (`RESULT_FIELDS`), how many dominant colours, which overlay bands. `jobCsv` makes
 * the whole rows: the columns before these, the cells, booleans as `true`/`false`.
 */
import { z } from "zod";
import { type AnalysisParams, DEFAULT_COLORS, type EdgeMode, type Metric } from "./analysis.ts";
import type { JobResultLine } from "./jobs.ts";
import { type AnalysisResponseBody, AnalysisResponseSchema } from "./schemas.ts";

type When = (params: AnalysisParams) => boolean;
const always: When = () => true;
const withMetric =
  (metric: Metric): When =>
  (params) =>
    params.metrics.includes(metric);
const withEdges: When = (params) => params.edgeMode !== null;

/**
 * Every top-level field of a result and when a job's results have it, in the order a response lists them: the
 * container's (v1 groups asked for, the image's facts, then the v2 insights in its own order: edge_density before
 * colorfulness), then `cached` and `processing_time_ms`, which the Worker sets last. A `Record` of every key of
 * the response, so a field added to the schema does not type-check until it is placed here.
 */
export const RESULT_FIELDS: Readonly<Record<keyof AnalysisResponseBody, When>> = {
  brightness_score: withMetric("brightness"),
  average_luminance: withMetric("brightness"),
  median_luminance: withMetric("median"),
  histogram: withMetric("histogram"),
  edge_brightness_score: withEdges,
  edge_average_luminance: withEdges,
  edge_mode: withEdges,
  width: always,
  height: always,
  algorithm: always,
  format: always,
  oriented_width: always,
  oriented_height: always,
  analysed_width: always,
  analysed_height: always,
  contrast: withMetric("contrast"),
  sharpness: withMetric("sharpness"),
  edge_density: withMetric("edge_density"),
  colorfulness: withMetric("colorfulness"),
  colors: withMetric("colors"),
  overlay: withMetric("overlay"),
  placeholder: withMetric("placeholder"),
  compression: withMetric("compression"),
  noise: withMetric("noise"),
  hash: withMetric("hash"),
  metadata: withMetric("metadata"),
  crop: withMetric("crop"),
  accessibility: withMetric("accessibility"),
  thumbhash: withMetric("thumbhash"),
  cached: always,
  processing_time_ms: always,
};

type Band = keyof NonNullable<NonNullable<AnalysisResponseBody["overlay"]>["bands"]>;

/** The bands `overlay.bands` holds for each `edge_mode`, as `edge_mode` defines them. */
const EDGE_BANDS: Readonly<Record<EdgeMode, readonly Band[]>> = {
  left_right: ["left", "right"],
  top_bottom: ["top", "bottom"],
  all: ["left", "right", "top", "bottom"],
};

/** The part of a JSON Schema node the walk reads. */
interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  minItems?: number;
  maxItems?: number;
}

let responseSchema: SchemaNode | undefined;
/** Made once: zod inlines the shared sub-schemas (no `$ref`), so the walk needs no look-ups. */
const schemaOfResponse = (): SchemaNode =>
  (responseSchema ??= z.toJSONSchema(AnalysisResponseSchema, { io: "output" }) as SchemaNode);

/**
 * Lists whose length varies from image to image, written in ONE cell, their elements joined by a space: what the
 * file reveals (`metadata.privacy`: "location serial_number") and an animation's frame delays (up to 1,000).
 */
export const JOINED_LISTS: ReadonlySet<string> = new Set(["metadata.privacy", "metadata.animation.delays_ms"]);

/** How many elements the array at `path` can have in a result of a job with these parameters. */
function arrayLength(node: SchemaNode, path: string, params: AnalysisParams): number {
  // Up to `colors` clusters: a job's results have at most that many, and it is at most the schema's maximum. The
  // colour-blind views simulate the same clusters.
  if (path === "colors.dominant" || /^accessibility\.[a-z]+\.dominant$/.test(path)) {
    return params.colors ?? DEFAULT_COLORS;
  }
  if (node.minItems === undefined || node.minItems !== node.maxItems) {
    throw new Error(`Expected a fixed length for the array ${path} but received ${node.minItems}–${node.maxItems}`);
  }
  return node.maxItems;
}

/** Appends the dotted name of every scalar under `node` (at `path`), in the schema's order. */
function collect(node: SchemaNode, path: string, params: AnalysisParams, into: string[]): void {
  const shapes = node.anyOf?.filter((branch) => branch.type !== "null");
  if (shapes?.length === 1) {
    collect(shapes[0] as SchemaNode, path, params, into);
  } else if (shapes?.some((shape) => shape.type === "object" || shape.type === "array")) {
    throw new Error(`Expected one shape for ${path} but received ${shapes.length}`);
  } else if (JOINED_LISTS.has(path)) {
    into.push(path);
  } else if (path === "crop" && node.type === "object") {
    // One box per ratio asked for, each with the box's own fields.
    const box = node.additionalProperties;
    if (!box) throw new Error("Expected the crop box's schema under crop but received none");
    for (const ratio of params.crop ?? []) collect(box, `crop.${ratio}`, params, into);
  } else if (node.type === "object") {
    if (!node.properties) throw new Error(`Expected named properties for ${path} but received none`);
    const bands: readonly string[] | null =
      path === "overlay.bands" ? (params.edgeMode ? EDGE_BANDS[params.edgeMode] : []) : null;
    for (const [key, inner] of Object.entries(node.properties)) {
      if (!bands || bands.includes(key)) collect(inner, `${path}.${key}`, params, into);
    }
  } else if (node.type === "array" && node.items) {
    const length = arrayLength(node, path, params);
    for (let i = 0; i < length; i++) collect(node.items, `${path}.${i}`, params, into);
  } else {
    into.push(path);
  }
}

/**
 * The dotted names (as `flattenResult` makes them, without the `result.` prefix) of every field a successful
 * result of a job with these parameters can carry, in the order a response lists them.
 *
 * @example
 * resultColumns(parseAnalysisParams(new URLSearchParams("metrics=median")));
 * // ["median_luminance", "width", "height", "algorithm", "format", …, "cached", "processing_time_ms"]
 * resultColumns(parseAnalysisParams(new URLSearchParams("metrics=colors&colors=2"))).filter((c) => c.endsWith(".hex"));
 * // ["colors.average.hex", "colors.dominant.0.hex", "colors.dominant.1.hex"]
 */
export function resultColumns(params: AnalysisParams): string[] {
  const { properties } = schemaOfResponse();
  const columns: string[] = [];
  for (const [field, when] of Object.entries(RESULT_FIELDS) as Array<[string, When]>) {
    const node = properties?.[field];
    if (!node) throw new Error(`Expected ${field} in the response schema but it has none`);
    if (when(params)) collect(node, field, params, columns);
  }
  return columns;
}

/** A CSV cell's value: a result's scalar (nested fields are flattened). */
export type ResultCell = string | number | boolean | null;

/**
 * A result's scalars by dotted name (`histogram.0.percent`, `colors.dominant.2.hex`): the names `resultColumns`
 * gives. A null (a transparent band, an edge score with nothing visible) is kept as null.
 *
 * @example
 * flattenResult({ histogram: [{ range: "0-25", percent: 10 }], overlay: { bands: { left: null } } });
 * // { "histogram.0.range": "0-25", "histogram.0.percent": 10, "overlay.bands.left": null }
 */
export function flattenResult(value: unknown, prefix = "", into: Record<string, ResultCell> = {}) {
  if (Array.isArray(value) && JOINED_LISTS.has(prefix)) {
    into[prefix] = value.join(" ");
  } else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) flattenResult(inner, prefix ? `${prefix}.${key}` : key, into);
  } else {
    into[prefix] = value as ResultCell;
  }
  return into;
}

/** The columns before a job CSV's `result.*` ones: the item's place, its names, and how it ended. */
export const CSV_BASE_COLUMNS = ["index", "id", "source", "status", "error_code", "error"] as const;

/** A CSV cell as written: a boolean as JSON writes it, a null (or a value the result lacks) as an empty cell. */
export type CsvCell = string | number | null;

/**
 * The first characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula:
 * `=`, `+`, `-`, `@`, tab and carriage return (OWASP, "CSV Injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A string cell as a spreadsheet will show it, never run it: one that starts like a formula gets a leading `'`,
 * which spreadsheets take for "text" and do not show (OWASP's rule). An item's `id`, file name, URL and error text
 * come from whoever submitted the job, and `=HYPERLINK(…)` or `=WEBSERVICE(…)` in one would run in the
 * spreadsheet of whoever opens the results. Numbers are not strings here, so a negative number stays a number.
 *
 * @example
 * safeCell('=HYPERLINK("http://x","y")'); // `'=HYPERLINK("http://x","y")`
 * safeCell(-3); // -3
 */
export function safeCell(value: CsvCell): CsvCell {
  return typeof value === "string" && FORMULA_START.test(value) ? `'${value}` : value;
}

/** The header, the row maker and what had no column, of one job's (or one parameter set's) results as CSV. */
export interface JobCsv {
  /** `CSV_BASE_COLUMNS`, then `result.` and each of `resultColumns(params)`. */
  header: string[];
  /** One line's row, in the header's order. */
  row: (line: JobResultLine) => CsvCell[];
  /** The dotted names of the fields `row` met that have no column (a contract newer than these columns). */
  unlisted: Set<string>;
}

/**
 * A job's results as CSV rows, as the API's `?format=csv` writes them, for the CLI's file
 * (packages/client/src/output.ts), so that both have the same bytes for the same results
 * (packages/client/src/cli.test.ts compares them). The header
 * follows from the parameters alone (`resultColumns`); a failed or cancelled item has its error's code and message
 * and empty result cells; a succeeded one has empty error cells and an empty cell for each value it does not have.
 * Booleans are written `true`/`false` here, since a CSV writer's default may write `false` as an empty cell
 * (csv-stringify's does), which would read as a value the result does not have. Every string cell that a
 * spreadsheet would run as a formula starts with `'` (`safeCell`), whoever reads the file. Give the rows to any
 * RFC 4180 writer.
 *
 * @example
 * const csv = jobCsv(parseAnalysisParams(new URLSearchParams("metrics=sharpness")));
 * csv.header; // ["index", "id", "source", "status", "error_code", "error", "result.sharpness.laplacian_variance", …]
 * csv.row(line); // [0, "a.png", "upload:a.png", "succeeded", null, null, 812.4, 100, "false", …]
 */
export function jobCsv(params: AnalysisParams): JobCsv {
  const columns = resultColumns(params);
  const listed = new Set(columns);
  const unlisted = new Set<string>();
  const cells = (line: JobResultLine): CsvCell[] => {
    const base = [line.index, line.id, line.source, line.status];
    if (line.status !== "succeeded") return [...base, line.error.code, line.error.error, ...columns.map(() => null)];
    const flat = flattenResult(line.result);
    // A value with no column would be lost without a word: the columns are meant to cover every field. A null
    // object (a transparent band, a still image's animation) is its fields' empty cells.
    for (const [key, value] of Object.entries(flat)) {
      if (!listed.has(key) && !(value === null && columns.some((c) => c.startsWith(`${key}.`)))) unlisted.add(key);
    }
    return [
      ...base,
      null,
      null,
      ...columns.map((column) => {
        const value = flat[column] ?? null;
        return typeof value === "boolean" ? String(value) : value;
      }),
    ];
  };
  const row = (line: JobResultLine) => cells(line).map(safeCell);
  return { header: [...CSV_BASE_COLUMNS, ...columns.map((column) => `result.${column}`)], row, unlisted };
}
