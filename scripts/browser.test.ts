/**
 * The playground in a real browser (Debian's Chromium, driven by playwright-core; no browser download), against
 * `npm run dev`: upload a generated image, wait for the result, check the score, the ten histogram bars and the
 * edge overlay, work it with the keyboard on a phone-sized screen, and keep screenshots in test-results/.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.ts";

const CHROMIUM = "/usr/bin/chromium";
const RESULTS = fileURLToPath(new URL("../test-results/", import.meta.url));
const hasChromium = existsSync(CHROMIUM);

let dev: DevServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  mkdirSync(RESULTS, { recursive: true });
  dev = await startDevServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  dev?.process.kill("SIGTERM");
  await dev?.exited;
});

/**
 * A 320×200 picture: a white left half and a black right half, so the score is 50. One pixel is random, so the
 * image is new to the dev server's persisted KV cache on every run and really reaches the container.
 */
async function halfWhitePng(): Promise<Buffer> {
  const raw = Buffer.alloc(320 * 200 * 3);
  for (let i = 0; i < 320 * 200; i++) if (i % 320 < 160) raw.fill(255, i * 3, i * 3 + 3);
  raw.fill(Math.floor(Math.random() * 256), raw.length - 3);
  return sharp(raw, { raw: { width: 320, height: 200, channels: 3 } })
    .png()
    .toBuffer();
}

describe.skipIf(!hasChromium)("the playground in Chromium", () => {
  it("shows the score, ten histogram bars and the edge overlay for an uploaded image", async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    const failures: string[] = [];
    page.on("pageerror", (err) => failures.push(err.message));
    await page.goto(`${dev?.url}/playground`);
    await page.setInputFiles("#file", { name: "half.png", mimeType: "image/png", buffer: await halfWhitePng() });
    await page.click("#send");
    await page.waitForFunction(() => document.getElementById("score")?.textContent !== "–", null, { timeout: 30_000 });

    expect(await page.textContent("#score")).toBe("50");
    expect(await page.locator("#histogram .bar").count()).toBe(10);
    expect(await page.locator("#histogram .bar small").first().textContent()).toBe("0-25");
    await page.waitForFunction(() => document.getElementById("overlay")?.dataset.bands === "4");
    expect(await page.getAttribute("#overlay", "data-edge-mode")).toBe("all");
    // The overlay really has paint on it: some pixel of the left band is not transparent.
    const painted = await page.evaluate(() => {
      const canvas = document.getElementById("overlay") as HTMLCanvasElement;
      return canvas.getContext("2d")?.getImageData(1, Math.floor(canvas.height / 2), 1, 1).data[3] ?? 0;
    });
    expect(painted).toBeGreaterThan(0);
    expect(await page.locator("#timing tr").count()).toBeGreaterThanOrEqual(3);
    expect(await page.textContent("#raw")).toContain('"brightness_score": 50');
    expect(failures).toEqual([]);
    await page.screenshot({ path: `${RESULTS}playground.png`, fullPage: true });
    await page.close();
  }, 60_000);

  it("works on a phone-sized screen with the keyboard, and says what went wrong in words", async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(`${dev?.url}/playground`);
    // Keyboard only: tab to the URL field, type a URL the API refuses, and press Enter to send.
    await page.keyboard.press("Tab"); // the link in the header
    await page.keyboard.press("Tab"); // the file picker
    await page.keyboard.press("Tab"); // the URL field
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("url");
    await page.keyboard.type("http://localhost/private.png");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#error", { state: "visible", timeout: 30_000 });
    const message = await page.textContent("#error");
    expect(message).toContain("400 Invalid URL");
    expect(message).toContain("private or local network addresses are not allowed");
    // Nothing wider than the phone: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${RESULTS}playground-phone.png`, fullPage: true });
    await page.close();
  }, 60_000);

  it("runs several files as a job: progress, a sortable table, the CSV, then one file as before", async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const failures: string[] = [];
    page.on("pageerror", (err) => failures.push(err.message));
    await page.goto(`${dev?.url}/playground`);
    // Three flat greys (a random pixel each, so the dev server's cache never answers): scores 20, 60, 100.
    const grey = async (level: number) => {
      const raw = Buffer.alloc(16 * 16 * 3, level);
      raw[0] = Math.floor(Math.random() * 2) + level - (level === 255 ? 1 : 0);
      return sharp(raw, { raw: { width: 16, height: 16, channels: 3 } })
        .png()
        .toBuffer();
    };
    await page.setInputFiles("#file", [
      { name: "mid.png", mimeType: "image/png", buffer: await grey(153) },
      { name: "dark.png", mimeType: "image/png", buffer: await grey(51) },
      { name: "light.png", mimeType: "image/png", buffer: await grey(255) },
    ]);
    expect(await page.textContent("#filename")).toContain("3 files");
    // The job's submission and at least one poll of its progress go to the jobs API.
    const calls: string[] = [];
    page.on("request", (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith("/v1/")) calls.push(`${req.method()} ${path.replace(/job_\w+/, "{id}")}`);
    });
    await page.click("#send");
    await page.waitForFunction(() => document.querySelectorAll("#job-table tbody tr").length === 3, null, {
      timeout: 30_000,
    });
    expect(calls.slice(0, 2)).toEqual(["POST /v1/jobs", "GET /v1/jobs/{id}"]);
    expect(calls).toContain("GET /v1/jobs/{id}/results");
    expect(await page.getAttribute("#job-progress", "value")).toBe("100");
    expect(await page.isVisible("#gauge")).toBe(false); // the single image's cards make way for the job's
    const column = (n: number) =>
      page.$$eval(`#job-table tbody tr td:nth-child(${n})`, (tds) => tds.map((td) => td.textContent));
    expect(await column(1)).toEqual(["mid.png", "dark.png", "light.png"]);
    expect(await column(3)).toEqual(["60", "20", "100"]);
    expect(await column(5)).toEqual(["153", "51", "255"]); // median: asked for
    expect(await page.textContent("#job-status")).toBe("3 analysed, 0 failed");

    // Sorting: a button in each header, so the keyboard works it too; aria-sort says the order.
    await page.click("#job-table th button[data-sort=score]");
    expect(await column(3)).toEqual(["20", "60", "100"]);
    expect(await page.getAttribute("#job-table th:nth-child(3)", "aria-sort")).toBe("ascending");
    await page.focus("#job-table th button[data-sort=score]");
    await page.keyboard.press("Enter");
    expect(await column(3)).toEqual(["100", "60", "20"]);
    expect(await page.getAttribute("#job-table th:nth-child(3)", "aria-sort")).toBe("descending");
    await page.click("#job-table th button[data-sort=name]");
    expect(await column(1)).toEqual(["dark.png", "light.png", "mid.png"]);
    await page.screenshot({ path: `${RESULTS}playground-job.png`, fullPage: true });

    // The CSV, fetched with the key header and saved from a blob: one header row and a row per file.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#job-csv")]);
    expect(download.suggestedFilename()).toMatch(/^job_[0-9a-f]{32}\.csv$/);
    const csv = readFileSync((await download.path()) as string, "utf8")
      .trim()
      .split("\n");
    expect(csv).toHaveLength(4);
    const header = (csv[0] as string).split(",");
    expect(header.slice(0, 4)).toEqual(["index", "id", "source", "status"]);
    const score = header.indexOf("result.brightness_score");
    expect(csv.slice(1).map((row) => [row.split(",")[1], row.split(",")[score]])).toEqual([
      ["mid.png", "60"],
      ["dark.png", "20"],
      ["light.png", "100"],
    ]);

    // One file afterwards is the single analysis exactly as before, and the job's card goes away.
    await page.setInputFiles("#file", { name: "half.png", mimeType: "image/png", buffer: await halfWhitePng() });
    await page.click("#send");
    await page.waitForFunction(() => document.getElementById("score")?.textContent === "50", null, {
      timeout: 30_000,
    });
    expect(await page.isVisible("#job")).toBe(false);
    expect(await page.isVisible("#gauge")).toBe(true);
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it("renders the docs from /openapi.json with Swagger UI, and Try it out sends a real upload", async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    const failures: string[] = [];
    const offOrigin: string[] = [];
    page.on("pageerror", (err) => failures.push(err.message));
    page.on("request", (req) => {
      if (!req.url().startsWith(dev?.url ?? "") && !req.url().startsWith("data:") && !req.url().startsWith("blob:"))
        offOrigin.push(req.url());
    });
    await page.goto(`${dev?.url}/docs`);
    const operation = page.locator("#operations-analysis-analyseUpload");
    await operation.waitFor({ timeout: 30_000 });
    expect(await page.locator(".opblock").count()).toBe(9); // every operation of /openapi.json
    expect(await page.textContent(".info .title")).toContain("image-insights-api");

    // Authorize with a key (development accepts any), then try the upload operation from the docs themselves.
    await page.click("button.authorize");
    await page.locator(".auth-container input").first().fill("docs-test-key");
    await page.locator(".auth-btn-wrapper button.authorize").first().click();
    await page.locator(".btn-done").first().click();
    await operation.locator(".opblock-summary").click();
    await operation.locator("button.try-out__btn").click();
    await operation.locator("tr[data-param-name=metrics] input").fill("median");
    await operation
      .locator("input[type=file]")
      .setInputFiles({ name: "half.png", mimeType: "image/png", buffer: await halfWhitePng() });
    await operation.locator("button.execute").click();
    const status = operation.locator(".live-responses-table tbody .response-col_status").first();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toContain("200");
    const body = await operation
      .locator(".live-responses-table tbody .response-col_description pre")
      .first()
      .textContent();
    expect(body).toMatch(/"median_luminance": \d/);
    expect(failures).toEqual([]);
    expect(offOrigin).toEqual([]);
    await page.screenshot({ path: `${RESULTS}docs.png`, fullPage: false });
    await page.close();
  }, 90_000);
});
