/**
 * The CLI as a user runs it (`node scripts/image-insights.mjs analyze …`, a child process), against the whole
 * local stack: a folder of images (and one file that is not one) and an image URL, results in a CSV, a resumed
 * second run, and a wrong API address.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../local-stack.ts";

const run = promisify(execFile);
/** Flat colours: the exact average luma is round((2126 r + 7152 g + 722 b) / 100) / 100. */
const COLOURS = [
  [255, 255, 255],
  [0, 0, 0],
  [255, 0, 0],
  [0, 128, 255],
  [40, 200, 90],
];
const expected = ([r, g, b]: number[]) =>
  Math.round((2126 * (r as number) + 7152 * (g as number) + 722 * (b as number)) / 100) / 100;

let stack: LocalStack;
let server: Server;
let origin = "";
let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cli-"));
  mkdirSync(join(dir, "photos", "nested"), { recursive: true });
  for (const [i, [r, g, b]] of COLOURS.entries()) {
    const png = await sharp({
      create: { width: 12, height: 8, channels: 3, background: { r: r as number, g: g as number, b: b as number } },
    })
      .png()
      .toBuffer();
    writeFileSync(join(dir, "photos", i < 3 ? "" : "nested", `c${i}.png`), png);
  }
  writeFileSync(join(dir, "photos", "notes.txt"), "not an image");
  const served = await sharp({ create: { width: 10, height: 10, channels: 3, background: "#808080" } })
    .png()
    .toBuffer();
  server = createServer((_req, res) => res.writeHead(200, { "Content-Type": "image/png" }).end(served));
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
  run(process.execPath, ["scripts/image-insights.mjs", ...args], { env: { ...process.env, FORCE_COLOR: "0" } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe("image-insights analyze", () => {
  it("analyses a folder and a URL into one CSV, and picks its jobs up when run again", async () => {
    const out = join(dir, "results.csv");
    const args = [
      "analyze",
      join(dir, "photos"),
      `${origin}/grey.png`,
      "--out",
      out,
      "--api",
      stack.url,
      "--metrics",
      "brightness,median",
    ];
    const first = await cli(args);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("skipped (not an image by its extension)");
    expect(first.stdout).toMatch(/6 images, 6 analysed, 0 failed/);
    expect(first.stdout.includes("\u001b[")).toBe(false); // no terminal escapes when not a terminal

    const rows = readFileSync(out, "utf8").trim().split("\n");
    expect(rows).toHaveLength(7); // a header and one row per image
    const header = (rows[0] as string).split(",");
    const average = header.indexOf("result.average_luminance");
    const source = header.indexOf("source");
    expect(average).toBeGreaterThan(0);
    // The URL's job comes first, then the files in folder order (c0–c2, then nested/c3–c4).
    expect((rows[1] as string).split(",")[average]).toBe("128");
    for (const [i, colour] of COLOURS.entries()) {
      const cells = (rows[i + 2] as string).split(",");
      expect(cells[source]).toContain(`c${i}.png`);
      expect(Number(cells[average])).toBe(expected(colour));
    }

    const jobsBefore = ((await (await fetch(`${stack.url}/v1/jobs`)).json()) as { jobs: unknown[] }).jobs.length;
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("resumed");
    const jobsAfter = ((await (await fetch(`${stack.url}/v1/jobs`)).json()) as { jobs: unknown[] }).jobs.length;
    expect(jobsAfter).toBe(jobsBefore); // nothing submitted again
  }, 60_000);

  it("exits 1 with words a user can act on when the API does not answer, and 2 for a usage error", async () => {
    const wrong = await cli([
      "analyze",
      join(dir, "photos"),
      "--out",
      join(dir, "x.csv"),
      "--api",
      "http://127.0.0.1:9",
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("did not answer: is it running (npm run dev), and is --api right?");
    const usage = await cli(["analyse-typo"]);
    expect(usage.code).toBe(2);
  }, 30_000);
});
