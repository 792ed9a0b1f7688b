/**
 * The playground in a real browser (Debian's Chromium, driven by playwright-core; no browser download), against
 * `npm run dev`: upload a generated image, wait for the result, check the score, the ten histogram bars and the
 * edge overlay; the v2 insights drawn from the API's own answer (swatches, gauges, sample text in the advised
 * colours, the BlurHash decoded as the `blurhash` package decodes it); the scale select; work it with the keyboard
 * on a phone-sized screen, and keep screenshots in test-results/.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decode as decodeBlurhash } from "blurhash";
import { parse } from "csv-parse/sync";
import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";
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

/** The two colours of `twoColourPng`, and where the second begins (in columns of its 300). */
const DARK_BLUE = [30, 60, 140];
const LIGHT_YELLOW = [245, 220, 100];
const STEP_COLUMN = 200;

/**
 * A 300×200 picture: dark blue on the left two thirds, light yellow on the right third. Its left band is all blue
 * (white text reads on it), its right band all yellow (black text does). One blue pixel, chosen at random, is one
 * level bluer, so the image is new to the dev server's cache on every run and the cluster means stay as they are.
 */
async function twoColourPng(): Promise<Buffer> {
  const raw = Buffer.alloc(300 * 200 * 3);
  for (let i = 0; i < 300 * 200; i++) raw.set(i % 300 < STEP_COLUMN ? DARK_BLUE : LIGHT_YELLOW, i * 3);
  const row = Math.floor(Math.random() * 200);
  const column = Math.floor(Math.random() * STEP_COLUMN);
  raw[(row * 300 + column) * 3 + 2] = (DARK_BLUE[2] as number) + 1;
  return sharp(raw, { raw: { width: 300, height: 200, channels: 3 } })
    .png()
    .toBuffer();
}

/** `#RRGGBB` as the browser computes a colour: `rgb(r, g, b)`. */
const cssRgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(", ")})`;

/** An 8-bit sRGB value in linear light (IEC 61966-2-1). */
const linear = (v: number) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);

/** A new page on the playground, with the errors its scripts throw collected in `failures`. */
async function openPlayground(options: BrowserContextOptions = {}): Promise<{ page: Page; failures: string[] }> {
  const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 }, ...options });
  const failures: string[] = [];
  page.on("pageerror", (err) => failures.push(err.message));
  await page.goto(`${dev?.url}/playground`);
  return { page, failures };
}

describe.skipIf(!hasChromium)("the playground in Chromium", () => {
  it("shows the score, ten histogram bars and the edge overlay for an uploaded image", async () => {
    const { page, failures } = await openPlayground();
    await page.setInputFiles("#file", { name: "half.png", mimeType: "image/png", buffer: await halfWhitePng() });
    await page.click("#send");
    await page.waitForFunction(() => document.querySelector("#gauge .value")?.textContent !== "–", null, {
      timeout: 30_000,
    });

    expect(await page.textContent("#gauge .value")).toBe("50");
    expect(await page.locator("#histogram .bar").count()).toBe(10);
    expect(await page.locator("#histogram .bar small").first().textContent()).toBe("0-25");
    await page.waitForFunction(() => document.getElementById("overlay")?.dataset.bands === "4");
    expect(await page.getAttribute("#overlay", "data-edge-mode")).toBe("all");
    // The overlay really has paint on it: some pixel of the left band's outline (dashed, 1 px in) is not transparent.
    const painted = await page.evaluate(() => {
      const canvas = document.getElementById("overlay") as HTMLCanvasElement;
      const column = canvas.getContext("2d")?.getImageData(1, 0, 1, canvas.height).data ?? [];
      return column.filter((alpha, i) => i % 4 === 3 && alpha > 0).length;
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
    const { page, failures } = await openPlayground({ acceptDownloads: true });
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
    // The v2 columns, asked for by default: flat greys have no contrast, and their main colour is their grey.
    expect(await column(6)).toEqual(["0", "0", "0"]);
    expect(await column(10)).toEqual(["#999999", "#333333", "#FFFFFF"]);
    // Ten columns scroll inside their card, not the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
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
    const rows = parse<Record<string, string>>(readFileSync((await download.path()) as string, "utf8"), {
      columns: true,
    });
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0] ?? {}).slice(0, 4)).toEqual(["index", "id", "source", "status"]);
    expect(rows.map((row) => [row.id, row["result.brightness_score"]])).toEqual([
      ["mid.png", "60"],
      ["dark.png", "20"],
      ["light.png", "100"],
    ]);

    // One file afterwards is the single analysis exactly as before, and the job's card goes away.
    await page.setInputFiles("#file", { name: "half.png", mimeType: "image/png", buffer: await halfWhitePng() });
    await page.click("#send");
    await page.waitForFunction(() => document.querySelector("#gauge .value")?.textContent === "50", null, {
      timeout: 30_000,
    });
    expect(await page.isVisible("#job")).toBe(false);
    expect(await page.isVisible("#gauge")).toBe(true);
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it("draws the v2 insights from the API's answer: swatches, gauges, text in the advised colours, the BlurHash", async () => {
    const { page, failures } = await openPlayground();
    // "all" clears every box; colors=N is offered only while colors is ticked.
    await page.uncheck("#all");
    expect(await page.locator("input[name=metric]:checked").count()).toBe(0);
    expect(await page.isVisible("#colors")).toBe(false);
    for (const metric of ["colors", "contrast", "sharpness", "overlay", "placeholder"])
      await page.check(`input[name=metric][value=${metric}]`);
    expect(await page.evaluate(() => (document.getElementById("all") as HTMLInputElement).indeterminate)).toBe(true);
    await page.fill("#colors", "3");
    await page.setInputFiles("#file", { name: "two.png", mimeType: "image/png", buffer: await twoColourPng() });
    const [response] = await Promise.all([
      page.waitForResponse((res) => new URL(res.url()).pathname === "/v1/image/analysis"),
      page.click("#send"),
    ]);
    const sent = new URL(response.url()).searchParams;
    expect(sent.get("metrics")).toBe("contrast,sharpness,colors,overlay,placeholder");
    expect(sent.get("colors")).toBe("3");
    expect(sent.has("algorithm")).toBe(false); // rec709 is the default: not sent
    const api = await response.json();
    await page.waitForFunction(() => document.getElementById("results")?.getAttribute("aria-busy") === "false");
    // The API itself, on the image as made: the two colours and their shares, white text on the blue band, black on
    // the yellow one (so the renderer cannot pass by painting every caption alike).
    expect(api.colors.dominant.map((c: { rgb: number[] }) => c.rgb).slice(0, 2)).toEqual([DARK_BLUE, LIGHT_YELLOW]);
    expect(api.colors.dominant[0].percent).toBeCloseTo((100 * STEP_COLUMN) / 300, 1);
    expect([api.overlay.bands.left.text_color, api.overlay.bands.right.text_color]).toEqual(["#FFFFFF", "#000000"]);

    // Only the cards asked for (the edge score's card stays: edge_mode is set).
    for (const card of ["colorfulness", "edge_density", "median", "histogram"])
      expect(await page.isVisible(`#${card}-card`)).toBe(false);
    expect(await page.textContent("#gauge .value")).toBe("–");
    expect(await page.textContent("#edge-score")).toBe(`${api.edge_brightness_score} (all)`);

    // Palette: a swatch per dominant colour, its hex, percent, name and family as the JSON says, painted in it.
    const swatches = page.locator("#palette .swatch");
    expect(await swatches.count()).toBe(api.colors.dominant.length);
    const texts = (cls: string) => page.$$eval(`#palette .swatch .${cls}`, (els) => els.map((el) => el.textContent));
    type Colour = { hex: string; rgb: number[]; percent: number; name: string; family: string };
    const dominant = api.colors.dominant as Colour[];
    expect(await texts("hex")).toEqual(dominant.map((c) => c.hex));
    expect(await texts("percent")).toEqual(dominant.map((c) => `${c.percent} %`));
    expect(await texts("name")).toEqual(dominant.map((c) => c.name));
    expect(await texts("family")).toEqual(dominant.map((c) => c.family));
    const chips = await page.$$eval("#palette .chip", (els) => els.map((el) => getComputedStyle(el).backgroundColor));
    expect(chips).toEqual(dominant.map((c) => `rgb(${c.rgb.join(", ")})`));
    expect(await page.textContent("#average-colour .hex")).toBe(api.colors.average.hex);
    expect(await page.$eval("#average-colour .chip", (el) => getComputedStyle(el).backgroundColor)).toBe(
      cssRgb(api.colors.average.hex),
    );

    // Gauges and their figures.
    expect(await page.textContent("#contrast-gauge .value")).toBe(String(api.contrast.score));
    expect(await page.textContent("#sharpness-gauge .value")).toBe(String(api.sharpness.score));
    expect(await page.getAttribute("#sharpness-gauge", "aria-label")).toBe(
      `sharpness score: ${api.sharpness.score} of 100`,
    );
    expect(await page.textContent("#contrast-card [data-field=rms]")).toBe(String(api.contrast.rms));
    expect(await page.textContent("#contrast-card [data-field=p95]")).toBe(String(api.contrast.p95));
    expect(await page.textContent("#sharpness-card [data-field=laplacian_variance]")).toBe(
      String(api.sharpness.laplacian_variance),
    );
    expect(await page.textContent("#blurry")).toBe(api.sharpness.blurry ? "blurry" : "sharp");

    // Sample text over the whole picture and over each band, each in its advised colour and inside its band.
    await page.waitForSelector(".caption[data-region=left]");
    const caption = (region: string) =>
      page.$eval(`.caption[data-region=${region}]`, (el) => getComputedStyle(el).color);
    expect(await caption("whole")).toBe(cssRgb(api.overlay.text_color));
    for (const [band, advice] of Object.entries(api.overlay.bands as Record<string, { text_color: string }>))
      expect(await caption(band)).toBe(cssRgb(advice.text_color));
    const picture = await page.locator("#picture").boundingBox();
    const left = await page.locator(".caption[data-region=left]").boundingBox();
    const right = await page.locator(".caption[data-region=right]").boundingBox();
    if (!picture || !left || !right) throw new Error("the picture or a caption is not laid out");
    const band = (Math.floor(300 * 0.1) / 300) * picture.width;
    expect(left.x).toBeCloseTo(picture.x, 0);
    expect(left.width).toBeCloseTo(band, 0);
    expect(right.x + right.width).toBeCloseTo(picture.x + picture.width, 0);
    expect(await page.textContent("#overlay-card [data-field=contrast_ratio]")).toBe(
      String(api.overlay.contrast_ratio),
    );
    expect(await page.textContent("#overlay-badges")).toBe(
      `AA ${api.overlay.wcag_aa ? "passes" : "fails"}AA large ${api.overlay.wcag_aa_large ? "passes" : "fails"}`,
    );
    const rows = await page.$$eval("#overlay-bands tbody tr", (trs) =>
      trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (td) => td.textContent)),
    );
    expect(rows).toEqual(
      Object.entries(
        api.overlay.bands as Record<
          string,
          { text_color: string; contrast_ratio: number; wcag_aa: boolean; wcag_aa_large: boolean }
        >,
      ).map(([name, a]) => [
        name,
        a.text_color,
        String(a.contrast_ratio),
        a.wcag_aa ? "passes" : "fails",
        a.wcag_aa_large ? "passes" : "fails",
      ]),
    );

    // The placeholder: exactly the pixels the blurhash package decodes from the answer's hash, whose mean in linear
    // light is the average colour (the DC term) give or take what the cosines leave at 32 px.
    const drawn = await page.$eval("#blurhash", (el) => {
      const canvas = el as HTMLCanvasElement;
      const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data;
      return { width: canvas.width, height: canvas.height, pixels: Array.from(data ?? []) };
    });
    expect([drawn.width, drawn.height]).toEqual([32, Math.round((32 * 200) / 300)]);
    expect(drawn.pixels).toEqual(Array.from(decodeBlurhash(api.placeholder.blurhash, drawn.width, drawn.height)));
    const count = drawn.width * drawn.height;
    expect(drawn.pixels.filter((_, i) => i % 4 === 3 && drawn.pixels[i] === 255)).toHaveLength(count);
    for (let channel = 0; channel < 3; channel++) {
      let sum = 0;
      for (let i = channel; i < drawn.pixels.length; i += 4) sum += linear(drawn.pixels[i] as number);
      expect(Math.abs(sum / count - linear(api.colors.average.rgb[channel]))).toBeLessThan(0.03);
    }
    expect(await page.textContent("#placeholder-card [data-field=blurhash]")).toBe(api.placeholder.blurhash);
    expect(failures).toEqual([]);
    await page.screenshot({ path: `${RESULTS}playground-v2.png`, fullPage: true });

    // Every card fits a phone: no sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${RESULTS}playground-v2-phone.png`, fullPage: true });
    await page.close();
  }, 60_000);

  it("says 'nothing visible' for a wholly transparent band, and draws no text there", async () => {
    const { page, failures } = await openPlayground();
    // 100×50, the left fifth transparent (so the whole left band is), the rest opaque mid-grey with a random level.
    const raw = Buffer.alloc(100 * 50 * 4);
    const grey = 100 + Math.floor(Math.random() * 50);
    for (let i = 0; i < 100 * 50; i++) if (i % 100 >= 20) raw.set([grey, grey, grey, 255], i * 4);
    const png = await sharp(raw, { raw: { width: 100, height: 50, channels: 4 } })
      .png()
      .toBuffer();
    await page.selectOption("#edge", "left_right");
    await page.setInputFiles("#file", { name: "clear-left.png", mimeType: "image/png", buffer: png });
    const [response] = await Promise.all([
      page.waitForResponse((res) => new URL(res.url()).pathname === "/v1/image/analysis"),
      page.click("#send"),
    ]);
    const api = await response.json();
    expect(api.overlay.bands.left).toBeNull();
    await page.waitForSelector(".caption[data-region=right]");
    expect(await page.locator(".caption[data-region=left]").count()).toBe(0);
    expect(await page.$eval(".caption[data-region=right]", (el) => getComputedStyle(el).color)).toBe(
      cssRgb(api.overlay.bands.right.text_color),
    );
    expect(await page.textContent("#overlay-bands tr[data-band=left]")).toBe("leftnothing visible–––");
    expect(await page.locator("#overlay-bands tbody tr").count()).toBe(2); // left_right: two bands
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it("sends algorithm= only when the scale is not rec709, and names the scale on the cards", async () => {
    const { page, failures } = await openPlayground();
    const analyse = async () => {
      await page.setInputFiles("#file", { name: "half.png", mimeType: "image/png", buffer: await halfWhitePng() });
      const [response] = await Promise.all([
        page.waitForResponse((res) => new URL(res.url()).pathname === "/v1/image/analysis"),
        page.click("#send"),
      ]);
      const api = await response.json();
      await page.waitForFunction(() => document.getElementById("results")?.getAttribute("aria-busy") === "false");
      return { sent: new URL(response.url()).searchParams, api };
    };

    await page.selectOption("#algorithm", "lstar");
    const lstar = await analyse();
    expect(lstar.sent.get("algorithm")).toBe("lstar");
    expect(lstar.sent.get("metrics")).toBe("all"); // every box ticked, as the page starts
    expect(lstar.api.algorithm).toBe("lstar");
    expect(await page.textContent("#raw")).toContain('"algorithm": "lstar"');
    // Half white, half black: L* 100 and 0, so 50, on buckets of ten points.
    expect(await page.textContent("#gauge .value")).toBe(String(lstar.api.brightness_score));
    expect(lstar.api.brightness_score).toBe(50);
    expect(await page.locator("#histogram .bar small").first().textContent()).toBe("0-10");
    expect(await page.textContent("#average + .scale")).toBe("(CIE L*, 0–100)");

    await page.selectOption("#algorithm", "rec709");
    const rec709 = await analyse();
    expect(rec709.sent.has("algorithm")).toBe(false);
    expect(rec709.api.algorithm).toBe("rec709");
    expect(await page.locator("#histogram .bar small").first().textContent()).toBe("0-25");
    expect(await page.textContent("#average + .scale")).toBe("(Rec. 709 luma, 0–255)");

    // By URL, the JSON body carries the same parameters; the API's refusal is said in words.
    await page.selectOption("#algorithm", "luminance");
    await page.fill("#url", "http://localhost/private.png");
    const [request] = await Promise.all([
      page.waitForRequest((req) => new URL(req.url()).pathname === "/v1/image/analysis/url"),
      page.click("#send"),
    ]);
    expect(request.postDataJSON()).toEqual({
      url: "http://localhost/private.png",
      metrics: "all",
      colors: "5",
      algorithm: "luminance",
      edge_mode: "all",
    });
    await page.waitForSelector("#error", { state: "visible", timeout: 30_000 });
    expect(await page.textContent("#error")).toContain("400 Invalid URL");
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
    // Every operation of /openapi.json (10: the analyses, health, the jobs and the webhook secret), each drawn.
    const document = (await (await fetch(`${dev?.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(document.paths).flatMap((path) => Object.keys(path));
    expect(operations).toHaveLength(10);
    expect(await page.locator(".opblock").count()).toBe(operations.length);
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
