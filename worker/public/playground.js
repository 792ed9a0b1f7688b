// @ts-check
/*
 * The playground (playground.html): a classic script, type-checked by `npm run typecheck` (worker/public/tsconfig.json)
 * against the API's own types in contract/, so an answer's field renamed there fails here too.
 */

/**
 * @typedef {import("../../contract/analysis.ts").AnalysisResponse} AnalysisResponse The 200 answer of an analysis.
 * @typedef {import("../../contract/analysis.ts").Algorithm} BrightnessAlgorithm (DOM has an `Algorithm` type of its own)
 * @typedef {import("../../contract/analysis.ts").HistogramBucket} HistogramBucket
 * @typedef {import("../../contract/analysis.ts").Metric} Metric
 * @typedef {NonNullable<AnalysisResponse["colors"]>} Colours
 * @typedef {NonNullable<AnalysisResponse["overlay"]>} Overlay
 * @typedef {Pick<Overlay, "text_color" | "contrast_ratio" | "wcag_aa" | "wcag_aa_large">} Advice Text advice for one
 *   region: the whole image, or one border band.
 * @typedef {NonNullable<AnalysisResponse["compression"]>} Compression
 * @typedef {NonNullable<AnalysisResponse["metadata"]>} Metadata
 * @typedef {NonNullable<AnalysisResponse["crop"]>} Crops
 * @typedef {Crops[string]} CropBox
 * @typedef {NonNullable<AnalysisResponse["accessibility"]>} Accessibility
 * @typedef {keyof Accessibility} Deficiency
 * @typedef {import("../../contract/jobs.ts").Job} Job
 * @typedef {import("../../contract/jobs.ts").JobResultLine} JobResultLine
 * @typedef {import("../../contract/duplicates.ts").DuplicateGroup} DuplicateGroup One group of
 *   `GET /v1/jobs/{id}/duplicates`: the same file (exact) or the same picture (near).
 * @typedef {import("../../contract/errors.ts").ErrorEnvelope} ErrorEnvelope
 * @typedef {import("../../contract/errors.ts").ValidationEnvelope} ValidationEnvelope
 */

/**
 * `el`, when it is a `type`; otherwise an error that names what was looked for: playground.html and this script
 * disagree about the page.
 *
 * @template {Element} T
 * @param {Element | null} el
 * @param {new () => T} type
 * @param {string} what where `el` was looked for
 * @returns {T}
 */
function checked(el, type, what) {
  if (el instanceof type) return el;
  throw new Error(`playground.html has no ${type.name} at ${what}: the page and playground.js disagree`);
}

/**
 * The page's element with this id, of this type (any HTMLElement when none is said).
 *
 * @overload
 * @param {string} id
 * @returns {HTMLElement}
 */
/**
 * @template {Element} T
 * @overload
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
/**
 * @param {string} id
 * @param {new () => Element} [type]
 * @returns {Element}
 */
function $(id, type = HTMLElement) {
  return checked(document.getElementById(id), type, `#${id}`);
}

/**
 * The first element under `root` that `selector` finds, of this type.
 *
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {new () => T} type
 * @returns {T}
 */
function find(root, selector, type) {
  return checked(root.querySelector(selector), type, selector);
}

/**
 * Every element under `root` that `selector` finds, each of this type.
 *
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {new () => T} type
 * @returns {T[]}
 */
function findAll(root, selector, type) {
  return [...root.querySelectorAll(selector)].map((el) => checked(el, type, selector));
}

/**
 * A 2D context to draw on `canvas` with (null only if the canvas had another kind of context).
 *
 * @param {HTMLCanvasElement} canvas
 * @returns {CanvasRenderingContext2D}
 */
function context2d(canvas) {
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error(`canvas #${canvas.id} has no 2D context`);
  return ctx;
}

/**
 * What went wrong, in words, whatever was thrown.
 *
 * @param {unknown} err
 */
const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/* The form's controls, looked up once with the kind each is. */
const fileInput = $("file", HTMLInputElement);
const urlInput = $("url", HTMLInputElement);
const allBox = $("all", HTMLInputElement);
const colorsInput = $("colors", HTMLInputElement);
const cropInput = $("crop", HTMLInputElement);
const algorithmSelect = $("algorithm", HTMLSelectElement);
const edgeSelect = $("edge", HTMLSelectElement);
const flattenBox = $("flatten", HTMLInputElement);
const backgroundInput = $("background", HTMLInputElement);
const keyInput = $("key", HTMLInputElement);
const sendButton = $("send", HTMLButtonElement);
const preview = $("preview", HTMLImageElement);

/** @type {File | null} */
let file = null;
/**
 * Several files at once become one batch job (POST /v1/jobs).
 *
 * @type {File[]}
 */
let files = [];

/** @param {File | null} f */
function setFile(f) {
  file = f;
  $("filename").textContent = f ? `${f.name} (${Math.round(f.size / 1024)} KB)` : "";
  if (f) {
    urlInput.value = "";
    preview.src = URL.createObjectURL(f);
  }
}
/** @param {Iterable<File>} list */
function setFiles(list) {
  files = [...list];
  if (files.length > 1) {
    setFile(null);
    $("filename").textContent = `${files.length} files: they go as one batch job`;
  } else setFile(files[0] || null);
}
fileInput.addEventListener("change", () => setFiles(fileInput.files ?? []));
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  setFiles(e.dataTransfer?.files ?? []);
});
document.addEventListener("paste", (e) => {
  const f = [...(e.clipboardData?.files || [])][0];
  if (f) setFiles([f]);
});

/**
 * Every metric the API computes, in the order the boxes show them, each with what it answers (the box's tooltip).
 * Typed by the contract's `Metric`: a metric added to MetricSchema and not here fails `tsc -p worker/public`.
 *
 * @type {Record<Metric, string>}
 */
const METRICS = {
  brightness: "brightness score and average",
  median: "median brightness",
  histogram: "ten-bucket histogram",
  contrast: "RMS contrast, percentiles, clipping",
  sharpness: "Laplacian variance, blurry or not",
  colorfulness: "Hasler & Süsstrunk's M",
  colors: "dominant colours and the average",
  edge_density: "share of edge pixels",
  overlay: "which text colour reads over the image",
  placeholder: "BlurHash",
  compression: "JPEG quality, subsampling, blockiness, bits per pixel",
  noise: "noise standard deviation (Immerkær)",
  hash: "perceptual, difference and SHA-256 hashes",
  metadata: "EXIF, colour space, ICC, animation, what the file reveals",
  crop: "the best crop box for each ratio",
  accessibility: "palettes and text advice for colour-blind viewers",
  thumbhash: "ThumbHash",
};
$("metrics").replaceChildren(
  ...Object.entries(METRICS).map(([metric, what]) => {
    const label = document.createElement("label");
    label.title = what;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "metric";
    box.value = metric;
    box.checked = true;
    label.append(box, ` ${metric}`);
    return label;
  }),
);
const metricBoxes = findAll(document, "input[name=metric]", HTMLInputElement);
/** The metrics ticked, in the page's order. */
const checkedMetrics = () => metricBoxes.filter((m) => m.checked).map((m) => m.value);
/** "all" reflects the boxes (mixed when some are ticked); colors=N and crop= are asked only with their metric. */
function syncMetrics() {
  const n = checkedMetrics().length;
  allBox.checked = n === metricBoxes.length;
  allBox.indeterminate = n > 0 && n < metricBoxes.length;
  const colors = checkedMetrics().includes("colors");
  $("colors-field").hidden = !colors;
  // A disabled field is not validated, so a hidden one can never block the form.
  colorsInput.disabled = !colors;
  const crop = checkedMetrics().includes("crop");
  $("crop-field").hidden = !crop;
  cropInput.disabled = !crop;
}
allBox.addEventListener("change", () => {
  for (const m of metricBoxes) m.checked = allBox.checked;
  syncMetrics();
});
for (const m of metricBoxes) m.addEventListener("change", syncMetrics);
syncMetrics();

function query() {
  const params = new URLSearchParams();
  const metrics = checkedMetrics();
  params.set("metrics", metrics.length === metricBoxes.length ? "all" : metrics.join(","));
  if (metrics.includes("colors")) params.set("colors", colorsInput.value);
  // The field starts at the API's own default (DEFAULT_CROP): left out then, like rec709 below. The API checks the
  // ratios and says what is wrong with them in words.
  const crop = cropInput.value.replaceAll(" ", "");
  if (metrics.includes("crop") && crop && crop !== cropInput.defaultValue) params.set("crop", crop);
  // rec709 is the API's default: leaving it out keeps v1's request (and its cache entry) as it was.
  if (algorithmSelect.value !== "rec709") params.set("algorithm", algorithmSelect.value);
  if (edgeSelect.value) params.set("edge_mode", edgeSelect.value);
  if (flattenBox.checked) params.set("background", backgroundInput.value.slice(1));
  return params;
}

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  /** @type {Record<string, string>} */
  const headers = {};
  if (keyInput.value) headers["X-API-Key"] = keyInput.value;
  const params = query();
  /** @type {Promise<Response>} */
  let request;
  if (urlInput.value) {
    preview.src = urlInput.value;
    // The JSON body takes the same parameters as the query string, by the same names.
    const body = { url: urlInput.value, ...Object.fromEntries(params) };
    request = fetch("/v1/image/analysis/url", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } else if (files.length > 1) {
    return runJob(headers, params);
  } else if (file) {
    const form = new FormData();
    form.append("image", file, file.name);
    request = fetch(`/v1/image/analysis?${params}`, { method: "POST", headers, body: form });
  } else {
    return showError("Choose an image or give a URL first.");
  }
  setJobMode(false);
  $("results").setAttribute("aria-busy", "true");
  sendButton.disabled = true;
  try {
    const res = await request;
    const text = await res.text();
    /** @type {unknown} */
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    $("raw").textContent = body ? JSON.stringify(body, null, 2) : text;
    renderTiming(res.headers.get("Server-Timing"));
    if (!res.ok || !body) return showError(describe(res.status, body));
    // A 200's body is the contract's AnalysisResponse. The results are busy until the placeholder is drawn too
    // (its decoder may still be loading).
    await render(/** @type {AnalysisResponse} */ (body));
  } catch (err) {
    showError(`The request did not reach the API: ${messageOf(err)}`);
  } finally {
    $("results").setAttribute("aria-busy", "false");
    sendButton.disabled = false;
  }
});

/**
 * A refusal in words: the API's error envelope (or its validation errors), or only the status when whatever
 * answered sent something else.
 *
 * @param {number} status
 * @param {unknown} body the answer's JSON, null when it was not JSON
 */
function describe(status, body) {
  // Read as the API's envelopes, with every field possibly absent: a proxy's JSON is anything.
  const detail = /** @type {Partial<ErrorEnvelope | ValidationEnvelope> | null} */ (body)?.detail;
  if (Array.isArray(detail)) return `${status}: ${detail.map((d) => `${d.msg} (${d.loc.join(".")})`).join("; ")}`;
  if (detail?.error) {
    const more = detail.detail || detail.details || "";
    const hint = detail.retry_after_seconds ? ` Retry in ${detail.retry_after_seconds} s.` : "";
    return (
      status +
      " " +
      detail.error +
      (more ? `: ${more}` : "") +
      "." +
      hint +
      " (code " +
      detail.code +
      ", request " +
      detail.request_id +
      ")"
    );
  }
  return `The API answered ${status}.`;
}

/** @param {string} message */
function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.style.display = "block";
}

/**
 * The brightness family's scale (`algorithm` in the answer), as the cards name it.
 *
 * @type {Record<BrightnessAlgorithm, string>}
 */
const SCALES = {
  rec709: "Rec. 709 luma, 0–255",
  luminance: "relative luminance, 0–100",
  lstar: "CIE L*, 0–100",
};

/** Every gauge is the same half dial: a grey track, a blue arc up to the score, the score in the middle. */
for (const svg of document.querySelectorAll("svg.gauge")) {
  svg.innerHTML = `<path d="M20 100 A80 80 0 0 1 180 100" fill="none" stroke="#e2e6ee" stroke-width="18"/>
    <path class="arc" d="" fill="none" stroke="#2f6fed" stroke-width="18"/>
    <text class="value" x="100" y="95" text-anchor="middle" font-size="34" font-weight="700">–</text>
    <text x="100" y="115" text-anchor="middle" font-size="11" fill="#5b6475">score (0–100)</text>`;
}

/**
 * Moves a gauge's arc to `score` (0–100; null or undefined: empty) and says the value to screen readers.
 *
 * @param {string} id the gauge's `<svg>`
 * @param {number | null | undefined} score
 */
function setGauge(id, score) {
  const svg = $(id, SVGSVGElement);
  const angle = Math.PI * (1 - (score ?? 0) / 100);
  const x = 100 + 80 * Math.cos(angle);
  const y = 100 - 80 * Math.sin(angle);
  find(svg, ".value", SVGTextElement).textContent = String(score ?? "–");
  find(svg, ".arc", SVGPathElement).setAttribute(
    "d",
    score == null ? "" : `M20 100 A80 80 0 0 1 ${x.toFixed(1)} ${y.toFixed(1)}`,
  );
  svg.setAttribute("aria-label", `${svg.dataset.name} score: ${score == null ? "not computed" : `${score} of 100`}`);
}

/**
 * Shows a v2 card when its metric is in the answer: hidden when it was not asked for (undefined), a note when
 * the image had nothing visible (null), otherwise each `[data-field]` gets the insight's field and `fill` the rest.
 *
 * @template {object} T
 * @param {string} name the metric, the card's id without `-card`
 * @param {T | null | undefined} insight
 * @param {(card: HTMLElement, insight: T) => void} [fill]
 */
function showCard(name, insight, fill) {
  const card = $(`${name}-card`);
  card.hidden = insight === undefined;
  card.classList.toggle("none", insight === null);
  if (!insight) return;
  const fields = new Map(Object.entries(insight));
  for (const el of card.querySelectorAll(".body [data-field]")) {
    const value = fields.get(el.getAttribute("data-field") ?? "");
    el.textContent = value == null ? "" : String(value);
  }
  fill?.(card, insight);
}

/**
 * A bar's share of its track, as a width; `from` moves its start (a range rather than an amount).
 *
 * @param {HTMLElement} card
 * @param {number} percent
 */
function setSpan(card, percent, from = 0) {
  const fill = find(card, ".span .fill", HTMLElement);
  fill.style.marginLeft = `${from}%`;
  fill.style.width = `${Math.max(0.5, percent)}%`;
}

/**
 * Fills the cards from an analysis answer; resolves once the placeholder, drawn asynchronously, is on its canvas.
 *
 * @param {AnalysisResponse} body
 * @returns {Promise<void>}
 */
function render(body) {
  $("error").style.display = "none";
  const scale = SCALES[body.algorithm] ?? body.algorithm;
  for (const el of document.querySelectorAll(".scale")) el.textContent = `(${scale})`;
  // The v1 cards, like the v2 ones, show only what was asked for (all three start visible, empty).
  $("brightness-card").hidden = body.brightness_score === undefined && !body.edge_mode;
  $("median-card").hidden = body.median_luminance === undefined;
  $("histogram-card").hidden = body.histogram === undefined;
  setGauge("gauge", body.brightness_score);
  $("average").textContent = String(body.average_luminance ?? "–");
  $("median").textContent = String(body.median_luminance ?? "–");
  $("edge-score").textContent = body.edge_mode ? `${body.edge_brightness_score} (${body.edge_mode})` : "–";
  renderHistogram(body.histogram || [], scale);
  showCard("contrast", body.contrast, (card, c) => {
    setGauge("contrast-gauge", c.score);
    setSpan(card, (c.range / 255) * 100, (c.p5 / 255) * 100);
  });
  showCard("sharpness", body.sharpness, (_card, s) => {
    setGauge("sharpness-gauge", s.score);
    $("blurry").textContent = s.blurry ? "blurry" : "sharp";
    $("blurry").className = `badge ${s.blurry ? "fail" : "pass"}`;
  });
  showCard("colorfulness", body.colorfulness);
  showCard("edge_density", body.edge_density, (card, e) => setSpan(card, e.percent));
  showCard("colors", body.colors, renderColours);
  showCard("overlay", body.overlay, renderAdvice);
  let placeholder = Promise.resolve();
  showCard("placeholder", body.placeholder, (_card, p) => {
    placeholder = drawPlaceholder(p.blurhash, body);
  });
  showCard("compression", body.compression, renderCompression);
  showCard("noise", body.noise);
  showCard("hash", body.hash);
  showCard("metadata", body.metadata, renderMetadata);
  renderPrivacy(body.metadata);
  showCard("accessibility", body.accessibility, (_card, a) => renderAccessibility(a, body.colors));
  showCard("crop", body.crop, (_card, crops) => renderCrops(crops, body));
  if (!body.crop) $("crops").replaceChildren();
  let thumbhash = Promise.resolve();
  // A ThumbHash is a string, not an object: its card is shown by hand.
  $("thumbhash-card").hidden = body.thumbhash === undefined;
  if (body.thumbhash !== undefined) thumbhash = drawThumbhash(body.thumbhash);
  drawPicture(body);
  return Promise.all([placeholder, thumbhash]).then(() => undefined);
}

/**
 * @param {HistogramBucket[]} buckets
 * @param {string} scale
 */
function renderHistogram(buckets, scale) {
  const histogram = $("histogram");
  histogram.setAttribute("aria-label", `histogram of ${scale}`);
  histogram.replaceChildren();
  for (const bucket of buckets) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.title = `${bucket.range}: ${bucket.percent} %`;
    bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", `${bucket.range}: ${bucket.percent} percent`);
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.height = `${Math.max(0.5, bucket.percent)}%`;
    const label = document.createElement("small");
    label.textContent = bucket.range;
    bar.append(fill, label);
    histogram.append(bar);
  }
}

/**
 * One colour: a chip of it, then its words (hex first, so a reader hears the value); a list item unless `tag`
 * says otherwise (a table cell holds a span).
 *
 * @param {{ hex: string }} colour
 * @param {Array<[className: string, text: string]>} words
 */
function swatch(colour, words, tag = "li") {
  const li = document.createElement(tag);
  li.className = "swatch";
  const chip = document.createElement("span");
  chip.className = "chip";
  chip.setAttribute("aria-hidden", "true");
  chip.style.background = colour.hex;
  li.append(chip);
  for (const [className, text] of words) {
    const span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    li.append(span);
  }
  return li;
}

/**
 * @param {HTMLElement} _card
 * @param {Colours} colors
 */
function renderColours(_card, colors) {
  $("palette").replaceChildren(
    ...colors.dominant.map((c) =>
      swatch(c, [
        ["hex", c.hex],
        ["percent", `${c.percent} %`],
        ["name", c.name],
        ["family", c.family],
      ]),
    ),
  );
  // The strip shows the shares at a glance: each colour as wide as its percent of the visible pixels.
  $("palette-bar").replaceChildren(
    ...colors.dominant.map((c) => {
      const part = document.createElement("span");
      part.style.background = c.hex;
      part.style.width = `${c.percent}%`;
      return part;
    }),
  );
  $("average-colour").replaceChildren(
    swatch(colors.average, [
      ["hex", colors.average.hex],
      ["rgb", `rgb(${colors.average.rgb.join(", ")})`],
    ]),
  );
}

/**
 * AA and AA-large as badges that say pass or fail in words, not only in colour; `labelled` names the level in the
 * badge (the bands' table names it in its header instead).
 *
 * @param {Advice} advice
 */
function badges(advice, labelled = true) {
  /** @type {Array<[level: string, pass: boolean]>} */
  const levels = [
    ["AA", advice.wcag_aa],
    ["AA large", advice.wcag_aa_large],
  ];
  return levels.map(([label, pass]) => {
    const badge = document.createElement("span");
    badge.className = `badge ${pass ? "pass" : "fail"}`;
    badge.textContent = `${labelled ? `${label} ` : ""}${pass ? "passes" : "fails"}`;
    return badge;
  });
}

/**
 * @param {HTMLElement} _card
 * @param {Overlay} overlay
 */
function renderAdvice(_card, overlay) {
  $("text-chip").style.background = overlay.text_color;
  $("overlay-badges").replaceChildren(...badges(overlay));
  const bands = Object.entries(overlay.bands || {});
  const table = $("overlay-bands", HTMLTableElement);
  table.hidden = bands.length === 0;
  find(table, "tbody", HTMLTableSectionElement).replaceChildren(
    ...bands.map(([band, advice]) => {
      const tr = document.createElement("tr");
      tr.dataset.band = band;
      const cells = advice
        ? [band, advice.text_color, String(advice.contrast_ratio), ...badges(advice, false)]
        : [band, "nothing visible", "–", "–", "–"];
      cells.forEach((cell, column) => {
        const td = tr.insertCell();
        td.append(cell);
        if (column === 2) td.className = "number";
      });
      return tr;
    }),
  );
}

/**
 * The picture as analysed: the edge bands drawn over it and, with `overlay`, sample text in the advised colour over
 * the whole image and over each band. With text to judge, the bands are outlined rather than tinted, so that the
 * text is seen against the image's own pixels.
 *
 * @param {AnalysisResponse} body
 */
function drawPicture(body) {
  const canvas = $("overlay", HTMLCanvasElement);
  const draw = () => {
    canvas.width = preview.clientWidth;
    canvas.height = preview.clientHeight;
    const ctx = context2d(canvas);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    canvas.dataset.edgeMode = body.edge_mode || "";
    drawCaptions(body, canvas.width, canvas.height);
    if (!body.edge_mode) return;
    // Bands are max(1, floor(10 %)) of the analysed image, scaled to the picture as shown.
    const bx = (Math.max(1, Math.floor(body.analysed_width * 0.1)) / body.analysed_width) * canvas.width;
    const by = (Math.max(1, Math.floor(body.analysed_height * 0.1)) / body.analysed_height) * canvas.height;
    /** @type {Array<[x: number, y: number, width: number, height: number]>} */
    const rects = [];
    if (body.edge_mode !== "top_bottom")
      rects.push([0, 0, bx, canvas.height], [canvas.width - bx, 0, bx, canvas.height]);
    if (body.edge_mode !== "left_right") {
      const inset = body.edge_mode === "all" ? bx : 0; // corners already counted
      rects.push([inset, 0, canvas.width - 2 * inset, by], [inset, canvas.height - by, canvas.width - 2 * inset, by]);
    }
    ctx.fillStyle = "rgba(240, 165, 0, 0.45)";
    ctx.strokeStyle = "#f0a500";
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    // Outlines are drawn 1 px inside each band, so that the picture's own edge does not clip them.
    for (const [x, y, w, h] of rects) {
      if (body.overlay) ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
      else ctx.fillRect(x, y, w, h);
    }
    canvas.dataset.bands = String(rects.length);
  };
  if (preview.complete && preview.naturalWidth) draw();
  else preview.addEventListener("load", draw, { once: true });
}

/**
 * Sample text in `overlay.text_color` in the middle of the picture, and each band's advice in its band.
 *
 * @param {AnalysisResponse} body
 * @param {number} width the picture's, as shown
 * @param {number} height
 */
function drawCaptions(body, width, height) {
  const captions = $("captions");
  captions.replaceChildren();
  if (!body.overlay) return;
  /**
   * @param {string} text
   * @param {Advice} advice
   * @param {Partial<CSSStyleDeclaration>} place
   * @param {number} fontPx
   */
  const caption = (text, advice, place, fontPx) => {
    const el = document.createElement("span");
    el.className = "caption";
    el.textContent = text;
    el.style.color = advice.text_color;
    el.style.fontSize = `${Math.round(fontPx)}px`;
    Object.assign(el.style, place);
    captions.append(el);
    return el;
  };
  caption("Sample caption", body.overlay, { inset: "0" }, Math.min(32, Math.max(12, width / 12))).dataset.region =
    "whole";
  // Each band is a full strip of max(1, floor(10 %)) of its side (docs/METRICS.md), in percent of the picture.
  const bx = (Math.max(1, Math.floor(body.analysed_width * 0.1)) / body.analysed_width) * 100;
  const by = (Math.max(1, Math.floor(body.analysed_height * 0.1)) / body.analysed_height) * 100;
  /** @type {Record<string, Partial<CSSStyleDeclaration>>} */
  const places = {
    left: { left: "0", top: "0", width: `${bx}%`, height: "100%" },
    right: { right: "0", top: "0", width: `${bx}%`, height: "100%" },
    top: { left: "0", top: "0", width: "100%", height: `${by}%` },
    bottom: { left: "0", bottom: "0", width: "100%", height: `${by}%` },
  };
  for (const [band, advice] of Object.entries(body.overlay.bands || {})) {
    const place = places[band];
    if (!advice || !place) continue;
    const across = band === "left" || band === "right" ? (bx / 100) * width : (by / 100) * height;
    const el = caption(`${band} band`, advice, place, Math.min(16, Math.max(8, across * 0.55)));
    el.dataset.region = band;
    if (band === "left" || band === "right") el.classList.add("vertical");
  }
}

/**
 * Fills a two-column table of facts: a row per `[key, label, value]`, the key in its `data-key` (what a test or a
 * style can find it by).
 *
 * @param {string} id the table
 * @param {Array<[key: string, label: string, value: string]>} facts
 */
function factTable(id, facts) {
  find($(id, HTMLTableElement), "tbody", HTMLTableSectionElement).replaceChildren(
    ...facts.map(([key, label, value]) => {
      const tr = document.createElement("tr");
      tr.dataset.key = key;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = label;
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(th, td);
      return tr;
    }),
  );
}

/**
 * @param {HTMLElement} _card
 * @param {Compression} c
 */
function renderCompression(_card, c) {
  const jpeg = c.quality !== null;
  factTable("compression-table", [
    [
      "quality",
      "JPEG quality",
      jpeg
        ? `${c.quality}${c.quality_exact ? " (libjpeg's own tables)" : " (nearest: tables of its own)"}`
        : "not a JPEG",
    ],
    ["subsampling", "chroma subsampling", c.subsampling ?? "–"],
    ["progressive", "scan", c.progressive === null ? "–" : c.progressive ? "progressive" : "baseline"],
    ["blockiness", "blockiness", c.blockiness === null ? "–" : `${c.blockiness} (1: no block edges)`],
    ["bits_per_pixel", "bits per pixel", String(c.bits_per_pixel)],
  ]);
}

/** EXIF orientations in words (TIFF 6.0's tag 274): how the stored pixels are turned to be seen upright. */
const ORIENTATIONS = [
  "",
  "as stored",
  "mirrored",
  "rotated 180°",
  "flipped",
  "mirrored, rotated 90° anticlockwise",
  "rotated 90° clockwise",
  "mirrored, rotated 90° clockwise",
  "rotated 90° anticlockwise",
];

/**
 * An exposure time as photographers write it: 1/250 s below a second, 2.5 s above.
 *
 * @param {number} seconds
 */
const exposure = (seconds) => (seconds > 0 && seconds < 1 ? `1/${Math.round(1 / seconds)} s` : `${seconds} s`);

/**
 * The camera's name once: many makers repeat the make in the model ("Canon" "Canon EOS 5D").
 *
 * @param {string | null} make
 * @param {string | null} model
 */
function camera(make, model) {
  if (make && model?.toLowerCase().startsWith(make.toLowerCase())) return model;
  return [make, model].filter(Boolean).join(" ");
}

/**
 * @param {HTMLElement} _card
 * @param {Metadata} m
 */
function renderMetadata(_card, m) {
  const exif = m.exif;
  const settings = exif
    ? [
        exif.exposure_time_s == null ? "" : exposure(exif.exposure_time_s),
        exif.f_number == null ? "" : `f/${exif.f_number}`,
        exif.iso == null ? "" : `ISO ${exif.iso}`,
        exif.focal_length_mm == null ? "" : `${exif.focal_length_mm} mm`,
      ].filter(Boolean)
    : [];
  const none = exif ? "not stated" : "no EXIF";
  const animation = m.animation;
  factTable("metadata-table", [
    ["camera", "camera", (exif && camera(exif.make, exif.model)) || none],
    ["lens", "lens", exif?.lens || none],
    ["taken_at", "taken at", exif?.taken_at || none],
    ["exposure", "exposure", settings.join(", ") || none],
    ["software", "software", exif?.software || none],
    ["gps", "GPS position", m.gps ? "present (not shown here: the API never returns it)" : "none"],
    ["space", "colour space", m.space],
    ["depth", "depth", `${m.depth} bits per sample, ${m.channels} channel${m.channels === 1 ? "" : "s"}`],
    ["icc", "ICC profile", m.icc ?? "none"],
    ["dpi", "DPI", m.dpi === null ? "not stated" : String(m.dpi)],
    ["orientation", "orientation", `${m.orientation}: ${ORIENTATIONS[m.orientation] ?? "unknown"}`],
    [
      "animation",
      "animation",
      animation
        ? `${m.pages} frames, ${animation.duration_ms / 1000} s, ${animation.loop === 0 ? "loops forever" : `plays ${animation.loop} time${animation.loop === 1 ? "" : "s"}`}`
        : m.pages > 1
          ? `${m.pages} pages, not animated`
          : "still",
    ],
    [
      "alpha",
      "alpha",
      m.alpha
        ? m.alpha_used
          ? "yes, and some pixels are see-through"
          : "a channel, but every pixel is opaque"
        : "none",
    ],
  ]);
}

/**
 * What each `metadata.privacy` item means, as the sentence above the picture says it.
 *
 * @type {Record<Metadata["privacy"][number], string>}
 */
const REVEALS = {
  location: "where it was taken (GPS position)",
  serial_number: "the camera's serial number",
  owner: "its owner's name",
  unique_id: "a unique ID that ties it to other copies",
};

/**
 * A list in words: "a", "a and b", "a, b and c".
 *
 * @param {string[]} items
 */
const inWords = (items) =>
  items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;

/**
 * The privacy flag in words, above the picture where it cannot be missed: what the file reveals, and what to do.
 *
 * @param {Metadata | undefined} metadata
 */
function renderPrivacy(metadata) {
  const box = $("privacy");
  box.hidden = !metadata;
  if (!metadata) return;
  const items = metadata.privacy;
  box.className = `single ${items.length ? "warn" : "clear"}`;
  box.dataset.items = items.join(",");
  box.textContent = items.length
    ? `This file reveals ${inWords(items.map((item) => REVEALS[item]))}: remove ${items.length === 1 ? "it" : "them"} before publishing.`
    : "This file reveals no location, serial number, owner or unique ID.";
}

/**
 * Each simulated deficiency, in words: what it is (which cones are missing).
 *
 * @type {Record<Deficiency, string>}
 */
const DEFICIENCIES = {
  protanopia: "Protanopia (no red-sensitive cones)",
  deuteranopia: "Deuteranopia (no green-sensitive cones)",
  tritanopia: "Tritanopia (no blue-sensitive cones)",
};

/**
 * The palettes as colour-blind viewers see them: each dominant colour beside its simulation, the pair of simulated
 * colours hardest to tell apart, and whether the advised text still reads.
 *
 * @param {Accessibility} a
 * @param {Colours | undefined} colors the normal palette, when `colors` was asked for too (the same order)
 */
function renderAccessibility(a, colors) {
  const hint = document.createElement("p");
  hint.className = "note";
  hint.textContent = "Tick colors too to see each colour beside its simulation.";
  $("deficiencies").replaceChildren(
    ...(colors ? [] : [hint]),
    ...Object.entries(DEFICIENCIES).map(([name, title]) => {
      const view = a[/** @type {Deficiency} */ (name)];
      const section = document.createElement("section");
      section.className = "deficiency";
      section.dataset.deficiency = name;
      const h3 = document.createElement("h3");
      h3.textContent = title;
      const list = document.createElement("ul");
      list.className = "pairs";
      list.setAttribute("aria-label", `dominant colours, as seen normally and with ${name}`);
      list.append(
        ...view.dominant.map((simulated, i) => {
          const normal = colors?.dominant[i];
          const li = document.createElement("li");
          li.className = "pair";
          if (normal) li.append(swatch(normal, [["hex normal", normal.hex]], "span"));
          li.append(
            swatch(
              simulated,
              [
                ["hex simulated", `→ ${simulated.hex}`],
                ["percent", `${simulated.percent} %`],
              ],
              "span",
            ),
          );
          return li;
        }),
      );
      const least = document.createElement("p");
      least.className = "least";
      const pair = view.least_distinguishable;
      if (pair) {
        const [first = "", second = ""] = pair.colors;
        least.append(
          "Hardest to tell apart: ",
          chip(first),
          `${first} and `,
          chip(second),
          `${second}, ΔE₀₀ ${pair.delta_e}.`,
        );
      } else least.textContent = "One colour only: no pair to confuse.";
      const advice = document.createElement("p");
      advice.className = "advice";
      const badge = document.createElement("span");
      badge.className = `badge ${view.wcag_aa ? "pass" : "fail"}`;
      badge.textContent = view.wcag_aa ? "passes AA" : "fails AA";
      const text = view.text_color === "#FFFFFF" ? "White" : "Black";
      advice.append(
        badge,
        view.wcag_aa
          ? ` ${text} text still passes WCAG AA for them: ${view.contrast_ratio} : 1.`
          : ` ${text} text no longer passes WCAG AA for them: ${view.contrast_ratio} : 1, under 4.5 : 1.`,
      );
      section.append(h3, list, least, advice);
      return section;
    }),
  );
}

/**
 * A small chip of a colour, for a sentence.
 *
 * @param {string} hex
 */
function chip(hex) {
  const el = document.createElement("span");
  el.className = "chip small";
  el.setAttribute("aria-hidden", "true");
  el.style.background = hex;
  return el;
}

/**
 * The crop boxes' outline colours, one per ratio (MAX_CROP_RATIOS of them), told apart by their labels too; all
 * light enough for the labels' black text.
 */
const CROP_COLOURS = ["#f0a500", "#5b9bff", "#ff6b5e", "#3ccf8e", "#c58cff", "#3fd0ea", "#ff8cc6", "#c4d600"];

/**
 * The `i`th ratio's outline colour.
 *
 * @param {number} i
 */
const cropColour = (i) => CROP_COLOURS[i % CROP_COLOURS.length] ?? "#f0a500";

/**
 * The best box for each ratio: a line each in the card (with a box to show or hide it), an outline each on the
 * picture, placed in percent of the oriented image (the picture as the browser shows it, EXIF orientation applied).
 *
 * @param {Crops} crops
 * @param {AnalysisResponse} body
 */
function renderCrops(crops, body) {
  const entries = Object.entries(crops);
  const outlines = entries.map(([ratio, box], i) => {
    const el = document.createElement("div");
    el.className = "crop-box";
    el.dataset.ratio = ratio;
    const colour = cropColour(i);
    el.style.borderColor = colour;
    el.style.left = `${(box.left / body.oriented_width) * 100}%`;
    el.style.top = `${(box.top / body.oriented_height) * 100}%`;
    el.style.width = `${(box.width / body.oriented_width) * 100}%`;
    el.style.height = `${(box.height / body.oriented_height) * 100}%`;
    const label = document.createElement("span");
    label.className = "crop-label";
    label.style.background = colour;
    label.textContent = ratio;
    el.append(label);
    return el;
  });
  $("crops").replaceChildren(...outlines);
  $("crop-list").replaceChildren(
    ...entries.map(([ratio, box], i) => {
      const li = document.createElement("li");
      li.dataset.ratio = ratio;
      const label = document.createElement("label");
      const toggle = document.createElement("input");
      toggle.type = "checkbox";
      toggle.checked = true;
      toggle.addEventListener("change", () => {
        const outline = outlines[i];
        if (outline) outline.hidden = !toggle.checked;
      });
      const name = document.createElement("b");
      name.textContent = ratio;
      label.append(toggle, " ", chip(cropColour(i)), name, ` ${describeBox(box)}`);
      li.append(label);
      return li;
    }),
  );
}

/**
 * A crop box in words.
 *
 * @param {CropBox} box
 */
const describeBox = (box) =>
  `${box.width} × ${box.height} px at (${box.left}, ${box.top}), ${box.detail_percent} % of the detail`;

/**
 * The `blurhash` package's decoder (https://blurha.sh), the one the container's encoder comes with: `npm run
 * assets` (scripts/assets.ts) copies its browser ES module here. Imported when a placeholder is first drawn (this
 * page is a classic script; `import()` is how one loads a module).
 */
const BLURHASH_MODULE = "/vendor/blurhash/index.js";

/** Width of the decoded placeholder: a BlurHash holds a few cosines, so 32 px are all the detail there is. */
const PLACEHOLDER_WIDTH_PX = 32;

/**
 * @param {string} hash
 * @param {AnalysisResponse} body
 */
async function drawPlaceholder(hash, body) {
  const canvas = $("blurhash", HTMLCanvasElement);
  canvas.width = PLACEHOLDER_WIDTH_PX;
  canvas.height = Math.max(1, Math.round((PLACEHOLDER_WIDTH_PX * body.analysed_height) / body.analysed_width));
  const ctx = context2d(canvas);
  try {
    /** @type {typeof import("blurhash")} */
    const { decode } = await import(BLURHASH_MODULE);
    // A copy: ImageData takes pixels over an ArrayBuffer, and the package's type does not promise its array is one.
    const pixels = new Uint8ClampedArray(decode(hash, canvas.width, canvas.height));
    ctx.putImageData(new ImageData(pixels, canvas.width), 0, 0);
  } catch (err) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    showError(`The placeholder could not be decoded: ${messageOf(err)}`);
  }
}

/**
 * The `thumbhash` package's decoder (https://evanw.github.io/thumbhash/), the container's encoder's own: `npm run
 * assets` copies its ES module (which imports nothing) here.
 */
const THUMBHASH_MODULE = "/vendor/thumbhash/index.js";

/**
 * Draws a ThumbHash at the size its decoder gives (at most 32 px a side; the page scales it up) and shows it.
 *
 * @param {string} hash base64
 */
async function drawThumbhash(hash) {
  $("thumbhash-code").textContent = hash;
  const canvas = $("thumbhash-canvas", HTMLCanvasElement);
  const ctx = context2d(canvas);
  try {
    /** @type {typeof import("thumbhash")} */
    const { thumbHashToRGBA } = await import(THUMBHASH_MODULE);
    const bytes = Uint8Array.from(atob(hash), (c) => c.charCodeAt(0));
    const { w, h, rgba } = thumbHashToRGBA(bytes);
    canvas.width = w;
    canvas.height = h;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), w), 0, 0);
  } catch (err) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    showError(`The ThumbHash could not be decoded: ${messageOf(err)}`);
  }
}

/** @param {string | null} header the answer's Server-Timing */
function renderTiming(header) {
  const body = find($("timing"), "tbody", HTMLTableSectionElement);
  body.replaceChildren();
  for (const entry of (header || "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name = "", ...parts] = entry.split(";");
    const dur = parts.find((p) => p.trim().startsWith("dur="));
    const desc = parts.find((p) => p.trim().startsWith("desc="));
    const row = document.createElement("tr");
    row.insertCell().textContent = name;
    row.insertCell().textContent = dur
      ? `${dur.split("=")[1]} ms`
      : desc
        ? (desc.split("=")[1] ?? "").replaceAll('"', "")
        : "";
    body.append(row);
  }
}

/**
 * Job mode shows the job's card instead of the single image's picture, gauge, median and histogram.
 *
 * @param {boolean} on
 */
function setJobMode(on) {
  $("results").classList.toggle("job-mode", on);
  $("job").hidden = !on;
}

/**
 * An answer's JSON, or null when it is not JSON (a proxy's page, an empty body). Its shape is the contract's for
 * the status the caller checks.
 *
 * @param {Response} res
 * @returns {Promise<unknown>}
 */
async function jsonOf(res) {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

const jobTable = $("job-table", HTMLTableElement);
const jobCsvButton = $("job-csv", HTMLButtonElement);
const jobProgress = $("job-progress", HTMLProgressElement);

/**
 * Several files as one job: submit, follow its progress, then a sortable table and the CSV.
 *
 * @param {Record<string, string>} headers
 * @param {URLSearchParams} params
 */
async function runJob(headers, params) {
  const form = new FormData();
  for (const f of files) form.append("images", f, f.name);
  setJobMode(true);
  $("error").style.display = "none";
  jobCsvButton.disabled = true;
  jobProgress.value = 0;
  $("job-status").textContent = `uploading ${files.length} files…`;
  find(jobTable, "tbody", HTMLTableSectionElement).replaceChildren();
  // A column shows when its metric was asked for.
  const metrics = checkedMetrics();
  for (const th of findAll(jobTable, "th[data-metric]", HTMLTableCellElement))
    th.hidden = !metrics.includes(th.dataset.metric ?? "");
  $("duplicates-column").hidden = true;
  $("job-duplicates").textContent = "";
  $("results").setAttribute("aria-busy", "true");
  sendButton.disabled = true;
  /**
   * @param {Response} res
   * @param {unknown} body
   */
  const fail = (res, body) => {
    $("job-status").textContent = "stopped";
    showError(describe(res.status, body));
  };
  try {
    const res = await fetch(`/v1/jobs?${params}`, { method: "POST", headers, body: form });
    const submitted = await jsonOf(res);
    if (res.status !== 202 || !submitted) return fail(res, submitted);
    // A 202's and a 200's body are the contract's Job.
    let job = /** @type {Job} */ (submitted);
    while (job.status === "queued" || job.status === "running") {
      jobProgress.value = job.progress_percent;
      $("job-status").textContent = `${job.done} of ${job.total} analysed`;
      $("raw").textContent = JSON.stringify(job, null, 2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const polled = await fetch(job.links.self, { headers });
      const body = await jsonOf(polled);
      if (polled.status !== 200 || !body) return fail(polled, body);
      job = /** @type {Job} */ (body);
    }
    $("raw").textContent = JSON.stringify(job, null, 2);
    jobProgress.value = 100;
    $("job-status").textContent =
      `${job.succeeded} analysed, ${job.failed} failed${job.status === "cancelled" ? " (cancelled)" : ""}`;
    const results = await fetch(job.links.results, { headers });
    if (results.status !== 200) return fail(results, await jsonOf(results));
    /** @type {JobResultLine[]} */
    const lines = (await results.text())
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    jobRows = lines.map(jobRow);
    const duplicates = await fetchDuplicates(job, headers);
    $("job-duplicates").textContent = duplicatesInWords(duplicates);
    if (duplicates.groups) {
      markDuplicates(duplicates.groups);
      $("duplicates-column").hidden = false;
    }
    sortKey = null;
    for (const th of jobTable.querySelectorAll("th")) th.removeAttribute("aria-sort");
    renderJobTable();
    jobCsv = { url: `${job.links.results}?format=csv`, headers, name: `${job.job_id}.csv` };
    jobCsvButton.disabled = false;
  } catch (err) {
    $("job-status").textContent = "stopped";
    showError(`The request did not reach the API: ${messageOf(err)}`);
  } finally {
    $("results").setAttribute("aria-busy", "false");
    sendButton.disabled = false;
  }
}

/** How many times to ask again for a job's duplicates while they are still being computed (409), 500 ms apart. */
const DUPLICATES_RETRIES = 6;

/**
 * The job's duplicate groups, or why there are none to show (a Worker without the route answers 404; 409 while the
 * groups are not ready yet, asked again a few times).
 *
 * @param {Job} job
 * @param {Record<string, string>} headers
 * @returns {Promise<{ groups: DuplicateGroup[] } | { groups: null, why: string }>}
 */
async function fetchDuplicates(job, headers) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${job.links.self}/duplicates`, { headers });
    const body = await jsonOf(res);
    // Read as the jobs API's answer, every field possibly absent until it is checked.
    const groups = /** @type {{ groups?: unknown } | null} */ (body)?.groups;
    if (res.status === 200 && Array.isArray(groups)) return { groups: /** @type {DuplicateGroup[]} */ (groups) };
    if (res.status === 409 && attempt < DUPLICATES_RETRIES) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    return { groups: null, why: describe(res.status, body) };
  }
}

/**
 * The duplicates' summary above the table.
 *
 * @param {Awaited<ReturnType<typeof fetchDuplicates>>} duplicates
 */
function duplicatesInWords(duplicates) {
  if (!duplicates.groups) return `Duplicates not available: ${duplicates.why}`;
  const { groups } = duplicates;
  if (groups.length === 0) return "No duplicates: every picture is different.";
  const exact = groups.filter((g) => g.kind === "exact").length;
  const parts = [];
  if (exact) parts.push(`${exact} of identical files`);
  if (groups.length - exact) parts.push(`${groups.length - exact} of the same picture in different files`);
  return `Duplicates: ${groups.length} group${groups.length === 1 ? "" : "s"} (${parts.join(", ")}), marked in the table.`;
}

/**
 * Gives each row a mark for each group it is in (an item can be in an exact group and in a near one): the group's
 * number and, in words, its kind and the other files in it.
 *
 * @param {DuplicateGroup[]} groups
 */
function markDuplicates(groups) {
  groups.forEach((group, g) => {
    for (const item of group.items) {
      const row = jobRows.find((r) => r.index === item.index);
      if (!row) continue;
      const others = inWords(
        group.items.filter((o) => o.index !== item.index).map((o) => o.id ?? `item ${o.index + 1}`),
      );
      const apart = group.max_distance === 0 ? "equal" : `at most ${group.max_distance} bits apart`;
      row.marks.push([
        `group ${g + 1}`,
        group.kind === "exact"
          ? `the same file as ${others}`
          : `the same picture as ${others} (perceptual hashes ${apart})`,
      ]);
      row.duplicate = row.marks.map((mark) => mark.join(": ")).join("; ");
    }
  });
}

/**
 * One image of a job as the table shows it; each key is a column's `data-sort`.
 *
 * @typedef {{
 *   name: string,
 *   status: JobResultLine["status"],
 *   score: number | null,
 *   average: number | null,
 *   median: number | null,
 *   contrast: number | null,
 *   sharpness: number | null,
 *   colorfulness: number | null,
 *   edge_density: number | null,
 *   colour: string | null,
 *   quality: number | null,
 *   noise: number | null,
 *   privacy: string | null,
 *   duplicate: string | null,
 *   marks: Array<[group: string, words: string]>,
 *   index: number,
 *   error: string,
 * }} JobRow
 */

/** @type {ReadonlyArray<keyof JobRow>} */
const JOB_ROW_KEYS = [
  "name",
  "status",
  "score",
  "average",
  "median",
  "contrast",
  "sharpness",
  "colorfulness",
  "edge_density",
  "colour",
  "quality",
  "noise",
  "privacy",
  "duplicate",
  "error",
];

/**
 * @param {JobResultLine} line
 * @returns {JobRow}
 */
function jobRow(line) {
  const result = line.status === "succeeded" ? line.result : undefined;
  const error = line.status === "succeeded" ? undefined : line.error;
  return {
    name: line.id ?? line.source,
    status: line.status,
    score: result?.brightness_score ?? null,
    average: result?.average_luminance ?? null,
    median: result?.median_luminance ?? null,
    contrast: result?.contrast?.score ?? null,
    sharpness: result?.sharpness?.score ?? null,
    colorfulness: result?.colorfulness?.value ?? null,
    edge_density: result?.edge_density?.percent ?? null,
    colour: result?.colors?.dominant[0]?.hex ?? null,
    quality: result?.compression?.quality ?? null,
    noise: result?.noise?.sigma ?? null,
    // In words, shortest first: "location, serial number"; "nothing" is a value of its own (metadata was read).
    privacy: result?.metadata
      ? result.metadata.privacy.map((item) => item.replace("_", " ")).join(", ") || "nothing"
      : null,
    duplicate: null,
    marks: [],
    index: line.index,
    error: error ? `${error.code}: ${error.error}` : "",
  };
}

/**
 * The row field a column's button sorts by (its `data-sort`).
 *
 * @param {HTMLElement} button
 * @returns {keyof JobRow}
 */
function columnKey(button) {
  const key = JOB_ROW_KEYS.find((k) => k === button.dataset.sort);
  if (!key) throw new Error(`playground.html's job table sorts by "${button.dataset.sort}", which no row has`);
  return key;
}

/** @type {JobRow[]} */
let jobRows = [];
/** @type {{ url: string, headers: Record<string, string>, name: string } | null} */
let jobCsv = null;
/** @type {keyof JobRow | null} */
let sortKey = null;
let sortDown = false;

function renderJobTable() {
  // The header says which columns there are, which are shown and which hold numbers.
  const columns = [...jobTable.querySelectorAll("th")].map((th) => ({
    th,
    key: columnKey(find(th, "button", HTMLButtonElement)),
  }));
  find(jobTable, "tbody", HTMLTableSectionElement).replaceChildren(
    ...jobRows.map((row) => {
      const tr = document.createElement("tr");
      for (const { th, key } of columns) {
        const td = document.createElement("td");
        td.hidden = th.hidden;
        td.className = th.className;
        if (key === "colour" && row.colour) td.append(swatch({ hex: row.colour }, [["hex", row.colour]], "span"));
        else if (key === "duplicate" && row.marks.length) {
          td.append(
            ...row.marks.map(([group, words]) => {
              const mark = document.createElement("p");
              mark.className = "mark";
              const badge = document.createElement("span");
              badge.className = "badge dup";
              badge.textContent = group;
              mark.append(badge, words);
              return mark;
            }),
          );
        } else td.textContent = String(row[key] ?? "–");
        tr.append(td);
      }
      return tr;
    }),
  );
}

/**
 * Whether a row has no value in that column (a failed image's score); such rows stay at the end either way.
 *
 * @param {JobRow[keyof JobRow]} value
 */
const isBlank = (value) => value == null || value === "";

for (const button of findAll(jobTable, "th button", HTMLButtonElement)) {
  button.addEventListener("click", () => {
    const key = columnKey(button);
    sortDown = sortKey === key ? !sortDown : false;
    sortKey = key;
    jobRows.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      if (isBlank(x) || isBlank(y)) return Number(isBlank(x)) - Number(isBlank(y));
      const order =
        typeof x === "number" && typeof y === "number"
          ? x - y
          : String(x).localeCompare(String(y), undefined, { numeric: true });
      return sortDown ? -order : order;
    });
    for (const th of jobTable.querySelectorAll("th")) th.removeAttribute("aria-sort");
    button.parentElement?.setAttribute("aria-sort", sortDown ? "descending" : "ascending");
    renderJobTable();
  });
}

jobCsvButton.addEventListener("click", async () => {
  if (!jobCsv) return;
  try {
    const res = await fetch(jobCsv.url, { headers: jobCsv.headers });
    if (!res.ok) return showError(describe(res.status, await jsonOf(res)));
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await res.blob());
    link.download = jobCsv.name;
    link.click();
    // The download has its own copy once it starts; the object URL is not needed after that.
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (err) {
    showError(`The CSV could not be downloaded: ${messageOf(err)}`);
  }
});
