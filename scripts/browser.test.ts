/**
 * The playground in a real browser (Debian's Chromium, driven by playwright-core; no browser download), against
 * `npm run dev`: upload a generated image, wait for the result, check the score, the ten histogram bars and the
 * edge overlay; the v2 insights drawn from the API's own answer (swatches, gauges, sample text in the advised
 * colours, the BlurHash decoded as the `blurhash` package decodes it); the scale select; the v3 insights (crop boxes
 * outlined where the API put them, the colour-blind palettes, the metadata table and the privacy flag in words, the
 * ThumbHash decoded as the `thumbhash` package decodes it, a job's exact and near duplicate groups marked in its
 * table); work it with the keyboard on a phone-sized screen, and keep screenshots in test-results/.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decode as decodeBlurhash } from "blurhash";
import { parse } from "csv-parse/sync";
import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { thumbHashToRGBA } from "thumbhash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CROP, VALID_METRICS } from "../contract/analysis.ts";
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

/** `exifJpeg`'s size, and its patch of coloured noise: the only detail in it, so every crop box should hold it. */
const EXIF_WIDTH = 480;
const EXIF_HEIGHT = 160;
const PATCH = { left: 340, top: 30, size: 100 };

/**
 * A 480×160 JPEG (quality 80, libjpeg's own tables) with the EXIF a phone writes and a photographer would not
 * publish: a GPS position and the camera body's serial number, beside the make, model, time and exposure. Dark
 * blue on the left two thirds, light yellow on the right third, which holds a 100×100 patch of random colours (so
 * the image is new to the dev server's cache on every run).
 */
async function exifJpeg(): Promise<Buffer> {
  const raw = Buffer.alloc(EXIF_WIDTH * EXIF_HEIGHT * 3);
  for (let y = 0; y < EXIF_HEIGHT; y++)
    for (let x = 0; x < EXIF_WIDTH; x++) {
      const inPatch = x >= PATCH.left && x < PATCH.left + PATCH.size && y >= PATCH.top && y < PATCH.top + PATCH.size;
      const colour = inPatch
        ? [0, 1, 2].map(() => Math.floor(Math.random() * 256))
        : x < (EXIF_WIDTH * 2) / 3
          ? DARK_BLUE
          : LIGHT_YELLOW;
      raw.set(colour, (y * EXIF_WIDTH + x) * 3);
    }
  return sharp(raw, { raw: { width: EXIF_WIDTH, height: EXIF_HEIGHT, channels: 3 } })
    .jpeg({ quality: 80 })
    .withExif({
      IFD0: { Make: "Canon", Model: "Canon EOS 5D Mark IV" },
      IFD2: {
        DateTimeOriginal: "2024:05:01 10:20:30",
        ExposureTime: "1/250",
        FNumber: "28/10",
        ISOSpeedRatings: "200",
        BodySerialNumber: "012345678901",
      },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "48/1 51/1 2964/100",
        GPSLongitudeRef: "E",
        GPSLongitude: "2/1 17/1 4056/100",
      },
    })
    .toBuffer();
}

/**
 * A 240×160 picture of smooth waves in three colours: detail at the low frequencies a perceptual hash reads, so a
 * JPEG of it keeps the hash (a flat or two-colour image has a hash of ties that compression noise flips). One
 * random pixel makes it new to the dev server's cache on every run.
 */
async function wavesPng(): Promise<Buffer> {
  const [width, height] = [240, 160];
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const r = 128 + 100 * Math.sin(x / 20 + y / 45);
      const g = 128 + 100 * Math.cos(y / 25);
      raw.set([Math.round(r), Math.round(g), Math.round((x * 255) / width)], (y * width + x) * 3);
    }
  raw.fill(Math.floor(Math.random() * 256), 0, 3);
  return sharp(raw, { raw: { width, height, channels: 3 } })
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

  it("draws the v3 insights from the API's answer: crop boxes, colour-blind palettes, metadata, the privacy flag in words, the ThumbHash", async () => {
    const { page, failures } = await openPlayground();
    // A box for each of the API's metrics, in its order; the crop field starts at the API's default.
    expect(
      await page.$$eval("input[name=metric]", (boxes) => boxes.map((box) => (box as HTMLInputElement).value)),
    ).toEqual([...VALID_METRICS]);
    expect(await page.inputValue("#crop")).toBe(DEFAULT_CROP.join(","));
    await page.uncheck("#all");
    expect(await page.isVisible("#crop")).toBe(false); // crop= is offered only with crop
    for (const metric of ["colors", "overlay", "crop", "accessibility", "metadata", "compression", "noise", "hash"])
      await page.check(`input[name=metric][value=${metric}]`);
    await page.check("input[name=metric][value=thumbhash]");
    await page.fill("#colors", "3");
    await page.fill("#crop", "1:1, 16:9");
    const jpeg = await exifJpeg();
    await page.setInputFiles("#file", { name: "exif.jpg", mimeType: "image/jpeg", buffer: jpeg });
    const [response] = await Promise.all([
      page.waitForResponse((res) => new URL(res.url()).pathname === "/v1/image/analysis"),
      page.click("#send"),
    ]);
    const sent = new URL(response.url()).searchParams;
    expect(sent.get("metrics")).toBe("colors,overlay,compression,noise,hash,metadata,crop,accessibility,thumbhash");
    expect(sent.get("crop")).toBe("1:1,16:9");
    expect(response.status()).toBe(200);
    const api = await response.json();
    await page.waitForFunction(() => document.getElementById("results")?.getAttribute("aria-busy") === "false");

    // The crop boxes: the API's, each of its ratio and holding the only detail; then each drawn where it says, in
    // the picture's own proportions, labelled, and hidden by its box in the card.
    type Box = { left: number; top: number; width: number; height: number; detail_percent: number };
    const crops = api.crop as Record<string, Box>;
    expect(Object.keys(crops)).toEqual(["1:1", "16:9"]);
    const picture = await page.locator("#preview").boundingBox();
    if (!picture) throw new Error("the picture is not laid out");
    expect(picture.width / picture.height).toBeCloseTo(EXIF_WIDTH / EXIF_HEIGHT, 2);
    const scale = picture.width / EXIF_WIDTH;
    for (const [ratio, box] of Object.entries(crops)) {
      const [w = 0, h = 0] = ratio.split(":").map(Number);
      expect(Math.abs(box.width - (box.height * w) / h)).toBeLessThanOrEqual(1);
      expect(box.left + box.width).toBeLessThanOrEqual(EXIF_WIDTH);
      expect(box.top + box.height).toBeLessThanOrEqual(EXIF_HEIGHT);
      expect(box.left).toBeLessThanOrEqual(PATCH.left + PATCH.size / 2);
      expect(box.left + box.width).toBeGreaterThanOrEqual(PATCH.left + PATCH.size / 2);
      const drawn = await page.locator(`.crop-box[data-ratio="${ratio}"]`).boundingBox();
      if (!drawn) throw new Error(`no outline for ${ratio}`);
      expect(drawn.x - picture.x).toBeCloseTo(box.left * scale, 0);
      expect(drawn.y - picture.y).toBeCloseTo(box.top * scale, 0);
      expect(drawn.width).toBeCloseTo(box.width * scale, 0);
      expect(drawn.height).toBeCloseTo(box.height * scale, 0);
      expect(drawn.width / drawn.height).toBeCloseTo(w / h, 1);
      expect(await page.textContent(`.crop-box[data-ratio="${ratio}"] .crop-label`)).toBe(ratio);
      expect(await page.textContent(`#crop-list li[data-ratio="${ratio}"]`)).toBe(
        ` ${ratio} ${box.width} × ${box.height} px at (${box.left}, ${box.top}), ${box.detail_percent} % of the detail`,
      );
    }
    expect(crops["1:1"]?.height).toBe(EXIF_HEIGHT); // the whole height: the largest square there is
    await page.uncheck('#crop-list li[data-ratio="16:9"] input');
    expect(await page.isVisible('.crop-box[data-ratio="16:9"]')).toBe(false);
    expect(await page.isVisible('.crop-box[data-ratio="1:1"]')).toBe(true);
    await page.check('#crop-list li[data-ratio="16:9"] input');
    expect(await page.isVisible('.crop-box[data-ratio="16:9"]')).toBe(true);

    // The privacy flag, in words, above the picture: this file tells where it was taken and the camera's serial.
    expect(api.metadata.gps).toBe(true);
    expect(api.metadata.privacy).toEqual(["location", "serial_number"]);
    expect(await page.textContent("#privacy")).toBe(
      "This file reveals where it was taken (GPS position) and the camera's serial number: remove them before publishing.",
    );
    expect(await page.getAttribute("#privacy", "class")).toContain("warn");
    const flag = await page.locator("#privacy").boundingBox();
    expect((flag?.y ?? Number.POSITIVE_INFINITY) + (flag?.height ?? 0)).toBeLessThanOrEqual(picture.y);
    // The metadata table, each fact as the file has it.
    const fact = (key: string) => page.textContent(`#metadata-table tr[data-key=${key}] td`);
    expect(await fact("camera")).toBe("Canon EOS 5D Mark IV"); // the make said once
    expect(await fact("exposure")).toBe("1/250 s, f/2.8, ISO 200");
    expect(api.metadata.exif.taken_at).toMatch(/^2024-05-01T10:20:30/);
    expect(await fact("taken_at")).toBe(api.metadata.exif.taken_at);
    expect(await fact("gps")).toBe("present (not shown here: the API never returns it)");
    expect(await fact("depth")).toBe(`${api.metadata.depth} bits per sample, 3 channels`);
    expect(await fact("animation")).toBe("still");
    expect(await fact("alpha")).toBe("none");

    // The colour-blind palettes: each dominant colour beside its simulation, the hardest pair and the text advice,
    // in words, for each of the three.
    type Simulated = { hex: string; rgb: number[]; percent: number };
    type View = {
      dominant: Simulated[];
      least_distinguishable: { colors: string[]; delta_e: number } | null;
      text_color: string;
      contrast_ratio: number;
      wcag_aa: boolean;
    };
    const normal = (api.colors.dominant as Simulated[]).map((c) => c.hex);
    for (const deficiency of ["protanopia", "deuteranopia", "tritanopia"]) {
      const view = api.accessibility[deficiency] as View;
      const section = `.deficiency[data-deficiency=${deficiency}]`;
      expect(view.dominant.map((c) => c.percent)).toEqual(api.colors.dominant.map((c: Simulated) => c.percent));
      expect(await page.$$eval(`${section} .hex.normal`, (els) => els.map((el) => el.textContent))).toEqual(normal);
      expect(await page.$$eval(`${section} .hex.simulated`, (els) => els.map((el) => el.textContent))).toEqual(
        view.dominant.map((c) => `→ ${c.hex}`),
      );
      const chips = await page.$$eval(`${section} .pair .swatch:last-child .chip`, (els) =>
        els.map((el) => getComputedStyle(el).backgroundColor),
      );
      expect(chips).toEqual(view.dominant.map((c) => `rgb(${c.rgb.join(", ")})`));
      const pair = view.least_distinguishable;
      expect(pair).not.toBeNull();
      expect(await page.textContent(`${section} .least`)).toBe(
        `Hardest to tell apart: ${pair?.colors[0]} and ${pair?.colors[1]}, ΔE₀₀ ${pair?.delta_e}.`,
      );
      const text = view.text_color === "#FFFFFF" ? "White" : "Black";
      expect(await page.textContent(`${section} .advice`)).toBe(
        view.wcag_aa
          ? `passes AA ${text} text still passes WCAG AA for them: ${view.contrast_ratio} : 1.`
          : `fails AA ${text} text no longer passes WCAG AA for them: ${view.contrast_ratio} : 1, under 4.5 : 1.`,
      );
    }
    // Red-blind and green-blind viewers still tell the dark blue from the light yellow: those two stay apart.
    const [blue, yellow] = api.accessibility.protanopia.dominant as Simulated[];
    expect(Math.abs((blue?.rgb[2] ?? 0) - (yellow?.rgb[2] ?? 0))).toBeGreaterThan(50);

    // The file: libjpeg's quality-80 tables; the hashes, SHA-256 being the bytes sent; the noise as answered.
    expect(api.compression.quality).toBe(80);
    expect(await page.textContent("#compression-table tr[data-key=quality] td")).toBe(
      `80${api.compression.quality_exact ? " (libjpeg's own tables)" : " (nearest: tables of its own)"}`,
    );
    expect(await page.textContent("#compression-table tr[data-key=bits_per_pixel] td")).toBe(
      String(api.compression.bits_per_pixel),
    );
    expect(api.hash.sha256).toBe(createHash("sha256").update(jpeg).digest("hex"));
    expect(await page.textContent("#hash-card [data-field=sha256]")).toBe(api.hash.sha256);
    expect(await page.textContent("#hash-card [data-field=perceptual]")).toBe(api.hash.perceptual);
    expect(await page.textContent("#noise-card [data-field=sigma]")).toBe(String(api.noise.sigma));

    // The ThumbHash: exactly the pixels the thumbhash package decodes from the answer's hash.
    const thumb = thumbHashToRGBA(Buffer.from(api.thumbhash, "base64"));
    const painted = await page.$eval("#thumbhash-canvas", (el) => {
      const canvas = el as HTMLCanvasElement;
      const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data;
      return { width: canvas.width, height: canvas.height, pixels: Array.from(data ?? []) };
    });
    expect([painted.width, painted.height]).toEqual([thumb.w, thumb.h]);
    expect(thumb.w).toBeGreaterThan(thumb.h); // a 3:1 picture's placeholder is landscape too
    // All opaque (a JPEG's), so the canvas, which stores premultiplied colour, gives them back exactly.
    expect(painted.pixels).toEqual(Array.from(thumb.rgba));
    expect(await page.textContent("#thumbhash-code")).toBe(api.thumbhash);
    expect(failures).toEqual([]);
    await page.screenshot({ path: `${RESULTS}playground-v3.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${RESULTS}playground-v3-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Ratios the API refuses are refused in its words.
    await page.fill("#crop", "0:1");
    await page.click("#send");
    await page.waitForSelector("#error", { state: "visible", timeout: 30_000 });
    expect(await page.textContent("#error")).toContain("400 Invalid crop requested");
    await page.close();
  }, 60_000);

  it("marks a job's duplicates in its table: two uploads of one file, and the same picture as a JPEG", async () => {
    const { page, failures } = await openPlayground();
    const twin = await wavesPng();
    await page.setInputFiles("#file", [
      { name: "twin.png", mimeType: "image/png", buffer: twin },
      { name: "other.png", mimeType: "image/png", buffer: await halfWhitePng() },
      { name: "copy.png", mimeType: "image/png", buffer: twin },
      { name: "twin.jpg", mimeType: "image/jpeg", buffer: await sharp(twin).jpeg({ quality: 90 }).toBuffer() },
    ]);
    const [answer] = await Promise.all([
      page.waitForResponse((res) => new URL(res.url()).pathname.endsWith("/duplicates"), { timeout: 30_000 }),
      page.click("#send"),
    ]);
    await page.waitForFunction(() => document.querySelectorAll("#job-table tbody tr").length === 4, null, {
      timeout: 30_000,
    });
    // The API: the two uploads of one file are an exact group; with the JPEG, the same picture (a near group).
    type Group = { kind: string; items: { index: number; id: string }[]; max_distance: number };
    const groups = ((await answer.json()) as { groups: Group[] }).groups;
    expect(groups.map((g) => [g.kind, g.items.map((item) => item.id)])).toEqual([
      ["exact", ["twin.png", "copy.png"]],
      ["near", ["twin.png", "copy.png", "twin.jpg"]],
    ]);
    const near = groups[1]?.max_distance === 0 ? "equal" : `at most ${groups[1]?.max_distance} bits apart`;

    expect(await page.textContent("#job-duplicates")).toBe(
      "Duplicates: 2 groups (1 of identical files, 1 of the same picture in different files), marked in the table.",
    );
    expect(await page.isVisible("#duplicates-column")).toBe(true);
    const headers = await page.$$eval("#job-table thead th", (ths) => ths.map((th) => th.id));
    const column = headers.indexOf("duplicates-column") + 1;
    const marks = () =>
      page.$$eval(`#job-table tbody tr td:nth-child(${column})`, (tds) =>
        tds.map((td) => {
          const lines = Array.from(td.querySelectorAll(".mark"), (mark) => [
            mark.querySelector(".badge")?.textContent,
            mark.lastChild?.textContent,
          ]);
          return lines.length ? lines : td.textContent;
        }),
      );
    expect(await marks()).toEqual([
      [
        ["group 1", "the same file as copy.png"],
        ["group 2", `the same picture as copy.png and twin.jpg (perceptual hashes ${near})`],
      ],
      "–",
      [
        ["group 1", "the same file as twin.png"],
        ["group 2", `the same picture as twin.png and twin.jpg (perceptual hashes ${near})`],
      ],
      [["group 2", `the same picture as twin.png and copy.png (perceptual hashes ${near})`]],
    ]);
    // Sorting by the column brings the groups together, the file without a duplicate last.
    await page.click("#job-table th button[data-sort=duplicate]");
    const names = await page.$$eval("#job-table tbody tr td:nth-child(1)", (tds) => tds.map((td) => td.textContent));
    expect(names).toEqual(["twin.png", "copy.png", "twin.jpg", "other.png"]);
    expect(failures).toEqual([]);
    await page.screenshot({ path: `${RESULTS}playground-duplicates.png`, fullPage: true });
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
    // Every operation of /openapi.json (11: the analyses, health, the jobs, their duplicates and the webhook
    // secret), each drawn.
    const document = (await (await fetch(`${dev?.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(document.paths).flatMap((path) => Object.keys(path));
    expect(operations).toHaveLength(11);
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
