/**
 * The CLI as a user runs it from a checkout (`node packages/client/bin/image-insights.mjs analyze …`, a child
 * process), against the whole local stack: a URL, a folder of twelve flat-colour PNGs (nested, with a text file and a
 * fake PNG among them) and a URL that answers 404, into one CSV in the order of the arguments; a second run that picks
 * its jobs up; a wrong API address; usage errors. scripts/client-package.test.ts runs it as installed from its tarball.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAnalysisParams } from "../../../contract/analysis.ts";
import { DuplicatesSchema } from "../../../contract/duplicates.ts";
import { NEAR_DUPLICATE_MAX_DISTANCE } from "../../../contract/hamming.ts";
import { resultColumns } from "../../../contract/result-columns.ts";
import { type LocalStack, startLocalStack } from "../../../scripts/local-stack.ts";
import { ROUTES } from "./client.ts";

const run = promisify(execFile);

/** RFC 4180 rows as objects by the header row (quoted fields may hold commas, quotes and newlines). */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [[]];
  for (const [, quoted, plain, sep] of text.matchAll(/(?:"((?:[^"]|"")*)"|([^,\r\n]*))(,|\r?\n|$)/g)) {
    rows.at(-1)?.push(quoted !== undefined ? quoted.replaceAll('""', '"') : (plain ?? ""));
    if (sep !== ",") rows.push([]);
    if (sep === "") break;
  }
  const [header = [], ...body] = rows.filter((row) => row.length > 1);
  return body.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ""])));
}
/** Twelve flat colours; the exact average luma of each is round((2126 r + 7152 g + 722 b) / 100) / 100. */
const COLOURS = [
  [255, 255, 255],
  [0, 0, 0],
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [0, 128, 255],
  [40, 200, 90],
  [128, 128, 128],
  [200, 100, 50],
  [17, 34, 51],
  [250, 240, 10],
  [90, 0, 160],
] as const;
const expected = ([r, g, b]: readonly number[]) =>
  Math.round((2126 * (r ?? 0) + 7152 * (g ?? 0) + 722 * (b ?? 0)) / 100) / 100;
/** Where each colour's file goes: three folders deep at most, so the walk's order is tested too. */
const pathOf = (i: number) => (i < 4 ? `c${i}.png` : i < 8 ? `a/c${i}.png` : `a/b/c${i}.png`);

let stack: LocalStack;
let server: Server;
let origin = "";
let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cli-"));
  mkdirSync(join(dir, "photos", "a", "b"), { recursive: true });
  for (const [i, [r, g, b]] of COLOURS.entries()) {
    const png = await sharp({ create: { width: 12, height: 8, channels: 3, background: { r, g, b } } })
      .png()
      .toBuffer();
    writeFileSync(join(dir, "photos", pathOf(i)), png);
  }
  writeFileSync(join(dir, "photos", "notes.txt"), "not an image");
  writeFileSync(join(dir, "photos", "a", "fake.png"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  const grey = await sharp({ create: { width: 10, height: 10, channels: 3, background: "#808080" } })
    .png()
    .toBuffer();
  server = createServer((req, res) => {
    if (req.url === "/grey.png") res.writeHead(200, { "Content-Type": "image/png" }).end(grey);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  stack = await startLocalStack({ quiet: true, vars: { ALLOW_PRIVATE_SOURCE_ADDRESSES: origin } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  server?.close();
});

const cli = (args: string[]) =>
  run(process.execPath, ["packages/client/bin/image-insights.mjs", ...args], {
    env: { ...process.env, FORCE_COLOR: "0", IMAGE_INSIGHTS_API_KEY: "" },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
/** `result.` and each of `resultColumns` for these parameters: the API's CSV's result columns. */
const resultNames = (query: string) =>
  resultColumns(parseAnalysisParams(new URLSearchParams(query))).map((column) => `result.${column}`);
/** The API's CSV header for these parameters, written out here: what the CLI's must equal. */
const headerFor = (query: string) => ["index,id,source,status,error_code,error", ...resultNames(query)].join(",");
/** A row's result cells, by name. */
const resultCells = (row: Record<string, string> | undefined) =>
  Object.entries(row ?? {}).filter(([name]) => name.startsWith("result."));
const jobCount = async () =>
  ((await (await fetch(`${stack.url}/v1/jobs?limit=100`)).json()) as { jobs: unknown[] }).jobs.length;

describe("image-insights analyze", () => {
  it("analyses URLs and a folder into one CSV in the order of the arguments, and picks its jobs up when run again", async () => {
    const out = join(dir, "results.csv");
    const args = [
      "analyze",
      `${origin}/grey.png`,
      join(dir, "photos"),
      `${origin}/missing.png`,
      "--out",
      out,
      "--api",
      stack.url,
      "--metrics",
      "brightness,median",
    ];
    const first = await cli(args);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`skipped ${join(dir, "photos", "notes.txt")}: not an image (by its extension)`);
    expect(first.stdout).toContain(
      `skipped ${join(dir, "photos", "a", "fake.png")}: not a JPEG, PNG, WebP, AVIF or GIF (svg)`,
    );
    expect(first.stdout).toMatch(/job 1\/2 submitted: job_\w+ \(2 images\)/);
    expect(first.stdout).toMatch(/job 2\/2 submitted: job_\w+ \(12 images\)/);
    // The summary: every image, the failure by its code, what was skipped.
    expect(first.stdout).toMatch(/14 images, 13 analysed, 1 failed \(download_failed 1\), 2 skipped, in [\d.]+ s: /);
    expect(first.stdout.includes("\u001b[")).toBe(false); // no terminal escapes when not a terminal

    const text = readFileSync(out, "utf8");
    // Two jobs (the URLs', the files'), one header: the API's for these parameters.
    expect(text.slice(0, text.indexOf("\n"))).toBe(headerFor("metrics=brightness,median"));
    const rows = parseCsv(text);
    expect(rows).toHaveLength(14); // one header row (parsed away), one row per image
    expect(rows.map((row) => row.index)).toEqual(rows.map((_, i) => String(i)));
    expect(rows[0]).toMatchObject({ source: `${origin}/grey.png`, "result.average_luminance": "128" });
    // The walk's order: a folder's entries sorted by name ("a" before "c0.png", "c10.png" before "c8.png").
    const walked = [10, 11, 8, 9, 4, 5, 6, 7, 0, 1, 2, 3];
    expect(rows.slice(1, 13).map((row) => row.id)).toEqual(walked.map((i) => join(dir, "photos", pathOf(i))));
    for (const [n, i] of walked.entries()) {
      const row = rows[1 + n];
      const colour = COLOURS[i] as readonly number[];
      expect(row?.status).toBe("succeeded");
      expect(Number(row?.["result.average_luminance"])).toBe(expected(colour));
      expect(Math.abs(Number(row?.["result.median_luminance"]) - expected(colour))).toBeLessThanOrEqual(0.5);
    }
    expect(rows[13]).toMatchObject({
      source: `${origin}/missing.png`,
      status: "failed",
      error_code: "download_failed",
    });
    // A failed item: every result column there, every cell empty.
    expect(resultCells(rows[13])).toEqual(resultNames("metrics=brightness,median").map((name) => [name, ""]));

    const jobsBefore = await jobCount();
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/job 1\/2 resumed: job_\w+ \(2\/2 done\)/);
    expect(again.stdout).toMatch(/job 2\/2 resumed: job_\w+ \(12\/12 done\)/);
    expect(await jobCount()).toBe(jobsBefore); // nothing submitted again
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(15);

    // Without the state file, the Idempotency-Keys still find the same jobs (the files are sent, not stored).
    const ndjson = join(dir, "results.ndjson");
    const third = await cli([
      ...args.slice(0, -4),
      "--out",
      ndjson,
      "--api",
      stack.url,
      "--metrics",
      "brightness,median",
    ]);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/job 2\/2 resumed/);
    expect(await jobCount()).toBe(jobsBefore);
    const lines = readFileSync(ndjson, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.index)).toEqual([...Array(14).keys()]);
  }, 60_000);

  it("writes the API's CSV for the same parameters: its header, true and false, every colour of a later file, a failed file's empty cells", async () => {
    const folder = join(dir, "mixed");
    mkdirSync(folder);
    // In the walk's order: one flat colour (one dominant colour, blurry, readable text), then five equal stripes
    // (five dominant colours, sharp, and black and white both in its p10–p90, so no text colour passes WCAG AA),
    // then a PNG whose signature passes the checks but whose pixels are cut off (the container fails it).
    const flat = await sharp({ create: { width: 20, height: 8, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    const STRIPES = ["#000000", "#FFFFFF", "#FF0000", "#00FF00", "#0000FF"];
    const stripes = await sharp(
      Buffer.from(
        Array.from({ length: 8 * 20 }, (_, p) => {
          const hex = STRIPES[Math.floor((p % 20) / 4)] as string;
          return [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
        }).flat(),
      ),
      { raw: { width: 20, height: 8, channels: 3 } },
    )
      .png()
      .toBuffer();
    writeFileSync(join(folder, "a-flat.png"), flat);
    writeFileSync(join(folder, "b-stripes.png"), stripes);
    writeFileSync(join(folder, "c-cut.png"), stripes.subarray(0, 60));
    const query = "metrics=all&edge_mode=all&colors=5&crop=16:9";
    const out = join(dir, "mixed.csv");
    const run = await cli([
      "analyze",
      folder,
      "--out",
      out,
      "--api",
      stack.url,
      "--metrics",
      "all",
      "--edge-mode",
      "all",
      "--colors",
      "5",
      "--crop",
      "16:9",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text.slice(0, text.indexOf("\n"))).toBe(headerFor(query));
    expect(text).toContain("result.overlay.bands.bottom.wcag_aa_large");
    // --crop decides crop's columns: the ratio asked for, not the default ones.
    expect(text).toContain("result.crop.16:9.detail_percent");
    expect(text).not.toContain("result.crop.1:1.");

    // One job: the file is the API's own CSV of that job, byte for byte.
    const [jobId] = Object.values(JSON.parse(readFileSync(`${out}.jobs.json`, "utf8")) as Record<string, string>);
    const api = await fetch(`${stack.url}/v1/jobs/${jobId}/results?format=csv`);
    expect(api.status).toBe(200);
    expect(await api.text()).toBe(text);

    const [flatRow, stripesRow, cutRow] = parseCsv(text);
    expect(flatRow).toMatchObject({
      status: "succeeded",
      "result.colors.dominant.0.hex": "#808080",
      "result.colors.dominant.0.percent": "100",
      "result.sharpness.blurry": "true",
      "result.overlay.wcag_aa": "true",
    });
    // The first file has one dominant colour: the four others' cells are empty in its row, never missing columns.
    for (const n of [1, 2, 3, 4]) expect(flatRow?.[`result.colors.dominant.${n}.hex`]).toBe("");
    // The later file keeps all five colours, each a fifth of the pixels.
    const dominant = [0, 1, 2, 3, 4].map((n) => ({
      hex: stripesRow?.[`result.colors.dominant.${n}.hex`],
      percent: stripesRow?.[`result.colors.dominant.${n}.percent`],
    }));
    expect(dominant.map((colour) => colour.hex).sort()).toEqual([...STRIPES].sort());
    expect(dominant.map((colour) => colour.percent)).toEqual(["20", "20", "20", "20", "20"]);
    // false is written false, not an empty cell.
    expect(stripesRow).toMatchObject({
      status: "succeeded",
      "result.sharpness.blurry": "false",
      "result.overlay.wcag_aa": "false",
      "result.overlay.wcag_aa_large": "false",
    });
    for (const row of [flatRow, stripesRow]) expect(["true", "false"]).toContain(row?.["result.cached"]);
    // The failed file: its error's code and message, and every result cell empty.
    expect(cutRow).toMatchObject({ id: join(folder, "c-cut.png"), status: "failed", error_code: "invalid_image" });
    expect(cutRow?.error).toBe("Invalid or corrupted image file");
    expect(resultCells(cutRow)).toEqual(resultNames(query).map((name) => [name, ""]));
  }, 60_000);

  it("interrupted (Ctrl-C) after submitting, it picks the job up when started again", async () => {
    const out = join(dir, "interrupted.csv");
    const args = ["analyze", join(dir, "photos"), "--out", out, "--api", stack.url, "--metrics", "histogram"];
    const child = spawn(process.execPath, ["packages/client/bin/image-insights.mjs", ...args], {
      env: { ...process.env },
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("submitted")) child.kill("SIGINT");
    });
    const [code] = (await once(child, "exit")) as [number | null];
    expect(stdout).toMatch(/job 1\/1 submitted/);
    if (code !== 0) expect(code).toBe(130); // it may have finished first: small jobs are quick
    const jobsBefore = await jobCount();
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/job 1\/1 resumed/);
    expect(await jobCount()).toBe(jobsBefore);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(13);
  }, 30_000);

  it("writes the duplicates beside the CSV with --duplicates, and takes the v3 metrics in --metrics", async () => {
    const folder = join(dir, "dups");
    mkdirSync(folder);
    // Noise from a linear congruential generator: two pictures of no common structure, 24×24.
    const noise = (seed: number) => {
      let state = seed;
      return Buffer.from(
        Array.from({ length: 24 * 24 * 3 }, () => {
          state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
          return state >> 23;
        }),
      );
    };
    const raw = { raw: { width: 24, height: 24, channels: 3 as const } };
    const x = await sharp(noise(1), raw).png({ compressionLevel: 9 }).toBuffer();
    const sameInOtherBytes = await sharp(noise(1), raw).png({ compressionLevel: 0 }).toBuffer();
    expect(sameInOtherBytes.equals(x)).toBe(false);
    writeFileSync(join(folder, "a.png"), x);
    writeFileSync(join(folder, "b.png"), x);
    writeFileSync(join(folder, "c.png"), sameInOtherBytes);
    writeFileSync(join(folder, "d.png"), await sharp(noise(2), raw).png().toBuffer());
    const out = join(dir, "dups.csv");
    const duplicates = join(dir, "dups.json");
    const run = await cli([
      "analyze",
      folder,
      "--out",
      out,
      "--duplicates",
      duplicates,
      "--metrics",
      "brightness,hash,thumbhash",
      "--api",
      stack.url,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`2 duplicate groups (1 exact): ${duplicates}`);
    const item = (index: number, name: string) => ({ index, id: join(folder, name) });
    expect(DuplicatesSchema.parse(JSON.parse(readFileSync(duplicates, "utf8")))).toEqual({
      groups: [
        { kind: "exact", items: [item(0, "a.png"), item(1, "b.png")], max_distance: 0 },
        { kind: "near", items: [item(0, "a.png"), item(1, "b.png"), item(2, "c.png")], max_distance: 0 },
      ],
      threshold: NEAR_DUPLICATE_MAX_DISTANCE,
      compared: 4,
    });
    const text = readFileSync(out, "utf8");
    expect(text.slice(0, text.indexOf("\n"))).toBe(headerFor("metrics=brightness,hash,thumbhash"));
    expect(text).toContain("result.hash.perceptual");
  }, 60_000);

  it("calls the routes the Worker declares", async () => {
    const doc = (await (await fetch(`${stack.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    expect(Object.keys(doc.paths["/v1/jobs"] ?? {})).toContain("post");
    expect(Object.keys(doc.paths["/v1/jobs/{job_id}"] ?? {})).toContain("get");
    expect(Object.keys(doc.paths["/v1/jobs/{job_id}/results"] ?? {})).toContain("get");
    // Every operation the typed client types (client.ts) is one the Worker declares.
    for (const [path, methods] of Object.entries(ROUTES))
      expect(Object.keys(doc.paths[path] ?? {}), path).toEqual(expect.arrayContaining([...methods]));
  });

  it("exits 1 with words a user can act on when the API does not answer, and 2 for a usage error", async () => {
    const photos = join(dir, "photos");
    const wrong = await cli(["analyze", photos, "--out", join(dir, "x.csv"), "--api", "http://127.0.0.1:9"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      "The API at http://127.0.0.1:9 did not answer: is it running (npm run dev), and is --api right?",
    );
    expect(wrong.stderr).not.toContain("    at "); // no stack trace

    const notTheApi = await cli(["analyze", photos, "--out", join(dir, "y.csv"), "--api", origin]);
    expect(notTheApi.code).toBe(1);
    expect(notTheApi.stderr).toContain(`the API answered 404. Is ${origin} the image-insights API's address (--api)?`);

    const metric = await cli(["analyze", photos, "--metrics", "colour", "--api", stack.url]);
    expect(metric.code).toBe(2);
    expect(metric.stderr).toContain("Invalid metrics requested (invalid_metrics: colour;");
    const crop = await cli(["analyze", photos, "--metrics", "crop", "--crop", "0:1", "--api", stack.url]);
    expect(crop.code).toBe(2);
    expect(crop.stderr).toContain("Invalid crop requested (received: 0:1;");
    expect((await cli(["analyze", join(dir, "nowhere")])).code).toBe(2);
    expect((await cli(["analyze", photos, "--out", "results.xlsx"])).code).toBe(2);
    expect((await cli(["analyse-typo"])).code).toBe(2);
  }, 30_000);
});

describe("image-insights analyze on a public deployment (PUBLIC_API=true, no key)", () => {
  it("reads its jobs with the job tokens their submissions returned", async () => {
    const open = await startLocalStack({ quiet: true, vars: { PUBLIC_API: "true" } });
    try {
      const out = join(dir, "public.csv");
      const result = await cli(["analyze", join(dir, "photos"), "--out", out, "--api", open.url]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/12 images, 12 analysed, 0 failed/);
      const rows = parseCsv(readFileSync(out, "utf8"));
      expect(rows).toHaveLength(12);
      for (const row of rows) {
        const i = Number(/c(\d+)\.png$/.exec(row.id ?? "")?.[1]);
        expect(Number(row["result.average_luminance"]), row.id).toBe(expected(COLOURS[i] as readonly number[]));
      }
    } finally {
      await open.stop();
    }
  }, 120_000);
});
