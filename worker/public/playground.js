const $ = (id) => document.getElementById(id);
let file = null;
/** Several files at once become one batch job (POST /v1/jobs). */
let files = [];

function setFile(f) {
  file = f;
  $("filename").textContent = f ? `${f.name} (${Math.round(f.size / 1024)} KB)` : "";
  if (f) {
    $("url").value = "";
    $("preview").src = URL.createObjectURL(f);
  }
}
function setFiles(list) {
  files = [...list];
  if (files.length > 1) {
    setFile(null);
    $("filename").textContent = `${files.length} files: they go as one batch job`;
  } else setFile(files[0] || null);
}
$("file").addEventListener("change", () => setFiles($("file").files));
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  setFiles(e.dataTransfer.files);
});
document.addEventListener("paste", (e) => {
  const f = [...(e.clipboardData?.files || [])][0];
  if (f) setFiles([f]);
});

const metricBoxes = [...document.querySelectorAll("input[name=metric]")];
/** The metrics ticked, in the page's order. */
const checkedMetrics = () => metricBoxes.filter((m) => m.checked).map((m) => m.value);
/** "all" reflects the boxes (mixed when some are ticked); colors=N is asked only with the colors metric. */
function syncMetrics() {
  const n = checkedMetrics().length;
  $("all").checked = n === metricBoxes.length;
  $("all").indeterminate = n > 0 && n < metricBoxes.length;
  const colors = checkedMetrics().includes("colors");
  $("colors-field").hidden = !colors;
  // A disabled field is not validated, so a hidden one can never block the form.
  $("colors").disabled = !colors;
}
$("all").addEventListener("change", () => {
  for (const m of metricBoxes) m.checked = $("all").checked;
  syncMetrics();
});
for (const m of metricBoxes) m.addEventListener("change", syncMetrics);
syncMetrics();

function query() {
  const params = new URLSearchParams();
  const metrics = checkedMetrics();
  params.set("metrics", metrics.length === metricBoxes.length ? "all" : metrics.join(","));
  if (metrics.includes("colors")) params.set("colors", $("colors").value);
  // rec709 is the API's default: leaving it out keeps v1's request (and its cache entry) as it was.
  if ($("algorithm").value !== "rec709") params.set("algorithm", $("algorithm").value);
  if ($("edge").value) params.set("edge_mode", $("edge").value);
  if ($("flatten").checked) params.set("background", $("background").value.slice(1));
  return params;
}

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const headers = {};
  if ($("key").value) headers["X-API-Key"] = $("key").value;
  const params = query();
  let request;
  if ($("url").value) {
    $("preview").src = $("url").value;
    // The JSON body takes the same parameters as the query string, by the same names.
    const body = { url: $("url").value, ...Object.fromEntries(params) };
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
  $("send").disabled = true;
  try {
    const res = await request;
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    $("raw").textContent = body ? JSON.stringify(body, null, 2) : text;
    renderTiming(res.headers.get("Server-Timing"));
    if (!res.ok || !body) return showError(describe(res.status, body));
    // The results are busy until the placeholder is drawn too (its decoder may still be loading).
    await render(body);
  } catch (err) {
    showError(`The request did not reach the API: ${err.message}`);
  } finally {
    $("results").setAttribute("aria-busy", "false");
    $("send").disabled = false;
  }
});

function describe(status, body) {
  const detail = body?.detail;
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

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.style.display = "block";
}

/** The brightness family's scale (`algorithm` in the answer), as the cards name it. */
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

/** Moves a gauge's arc to `score` (0–100; null or undefined: empty) and says the value to screen readers. */
function setGauge(svg, score) {
  const angle = Math.PI * (1 - (score ?? 0) / 100);
  const x = 100 + 80 * Math.cos(angle);
  const y = 100 - 80 * Math.sin(angle);
  svg.querySelector(".value").textContent = score ?? "–";
  svg
    .querySelector(".arc")
    .setAttribute("d", score == null ? "" : `M20 100 A80 80 0 0 1 ${x.toFixed(1)} ${y.toFixed(1)}`);
  svg.setAttribute("aria-label", `${svg.dataset.name} score: ${score == null ? "not computed" : `${score} of 100`}`);
}

/**
 * Shows a v2 card when its metric is in the answer: hidden when it was not asked for (undefined), a note when
 * the image had nothing visible (null), otherwise each `[data-field]` gets the insight's field and `fill` the rest.
 */
function showCard(name, insight, fill) {
  const card = $(`${name}-card`);
  card.hidden = insight === undefined;
  card.classList.toggle("none", insight === null);
  if (!insight) return;
  for (const el of card.querySelectorAll(".body [data-field]")) el.textContent = insight[el.dataset.field];
  fill?.(card, insight);
}

/** A bar's share of its track, as a width; `from` moves its start (a range rather than an amount). */
function setSpan(card, percent, from = 0) {
  const fill = card.querySelector(".span .fill");
  fill.style.marginLeft = `${from}%`;
  fill.style.width = `${Math.max(0.5, percent)}%`;
}

/** Fills the cards from an analysis answer; resolves once the placeholder, drawn asynchronously, is on its canvas. */
function render(body) {
  $("error").style.display = "none";
  const scale = SCALES[body.algorithm] ?? body.algorithm;
  for (const el of document.querySelectorAll(".scale")) el.textContent = `(${scale})`;
  // The v1 cards, like the v2 ones, show only what was asked for (all three start visible, empty).
  $("brightness-card").hidden = body.brightness_score === undefined && !body.edge_mode;
  $("median-card").hidden = body.median_luminance === undefined;
  $("histogram-card").hidden = body.histogram === undefined;
  setGauge($("gauge"), body.brightness_score);
  $("average").textContent = body.average_luminance ?? "–";
  $("median").textContent = body.median_luminance ?? "–";
  $("edge-score").textContent = body.edge_mode ? `${body.edge_brightness_score} (${body.edge_mode})` : "–";
  renderHistogram(body.histogram || [], scale);
  showCard("contrast", body.contrast, (card, c) => {
    setGauge($("contrast-gauge"), c.score);
    setSpan(card, (c.range / 255) * 100, (c.p5 / 255) * 100);
  });
  showCard("sharpness", body.sharpness, (_card, s) => {
    setGauge($("sharpness-gauge"), s.score);
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
  drawPicture(body);
  return placeholder;
}

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
 */
function badges(advice, labelled = true) {
  return [
    ["AA", advice.wcag_aa],
    ["AA large", advice.wcag_aa_large],
  ].map(([label, pass]) => {
    const badge = document.createElement("span");
    badge.className = `badge ${pass ? "pass" : "fail"}`;
    badge.textContent = `${labelled ? `${label} ` : ""}${pass ? "passes" : "fails"}`;
    return badge;
  });
}

function renderAdvice(_card, overlay) {
  $("text-chip").style.background = overlay.text_color;
  $("overlay-badges").replaceChildren(...badges(overlay));
  const bands = Object.entries(overlay.bands || {});
  $("overlay-bands").hidden = bands.length === 0;
  $("overlay-bands")
    .querySelector("tbody")
    .replaceChildren(
      ...bands.map(([band, advice]) => {
        const tr = document.createElement("tr");
        tr.dataset.band = band;
        const cells = advice
          ? [band, advice.text_color, advice.contrast_ratio, ...badges(advice, false)]
          : [band, "nothing visible", "–", "–", "–"];
        for (const cell of cells) {
          const td = document.createElement("td");
          td.append(cell);
          tr.append(td);
        }
        tr.cells[2].className = "number";
        return tr;
      }),
    );
}

/**
 * The picture as analysed: the edge bands drawn over it and, with `overlay`, sample text in the advised colour over
 * the whole image and over each band. With text to judge, the bands are outlined rather than tinted, so that the
 * text is seen against the image's own pixels.
 */
function drawPicture(body) {
  const img = $("preview"),
    canvas = $("overlay");
  const draw = () => {
    canvas.width = img.clientWidth;
    canvas.height = img.clientHeight;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    canvas.dataset.edgeMode = body.edge_mode || "";
    drawCaptions(body, canvas.width, canvas.height);
    if (!body.edge_mode) return;
    // Bands are max(1, floor(10 %)) of the analysed image, scaled to the picture as shown.
    const bx = (Math.max(1, Math.floor(body.analysed_width * 0.1)) / body.analysed_width) * canvas.width;
    const by = (Math.max(1, Math.floor(body.analysed_height * 0.1)) / body.analysed_height) * canvas.height;
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
  if (img.complete && img.naturalWidth) draw();
  else img.addEventListener("load", draw, { once: true });
}

/** Sample text in `overlay.text_color` in the middle of the picture, and each band's advice in its band. */
function drawCaptions(body, width, height) {
  const captions = $("captions");
  captions.replaceChildren();
  if (!body.overlay) return;
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
  const places = {
    left: { left: "0", top: "0", width: `${bx}%`, height: "100%" },
    right: { right: "0", top: "0", width: `${bx}%`, height: "100%" },
    top: { left: "0", top: "0", width: "100%", height: `${by}%` },
    bottom: { left: "0", bottom: "0", width: "100%", height: `${by}%` },
  };
  for (const [band, advice] of Object.entries(body.overlay.bands || {})) {
    if (!advice) continue;
    const across = band === "left" || band === "right" ? (bx / 100) * width : (by / 100) * height;
    const el = caption(`${band} band`, advice, places[band], Math.min(16, Math.max(8, across * 0.55)));
    el.dataset.region = band;
    if (band === "left" || band === "right") el.classList.add("vertical");
  }
}

/**
 * The `blurhash` package's decoder (https://blurha.sh), the one the container's encoder comes with: `npm run
 * assets` (scripts/assets.ts) copies its browser ES module here. Imported when a placeholder is first drawn (this
 * page is a classic script; `import()` is how one loads a module).
 */
const BLURHASH_MODULE = "/vendor/blurhash/index.js";

/** Width of the decoded placeholder: a BlurHash holds a few cosines, so 32 px are all the detail there is. */
const PLACEHOLDER_WIDTH_PX = 32;

async function drawPlaceholder(hash, body) {
  const canvas = $("blurhash");
  canvas.width = PLACEHOLDER_WIDTH_PX;
  canvas.height = Math.max(1, Math.round((PLACEHOLDER_WIDTH_PX * body.analysed_height) / body.analysed_width));
  const ctx = canvas.getContext("2d");
  try {
    const { decode } = await import(BLURHASH_MODULE);
    ctx.putImageData(new ImageData(decode(hash, canvas.width, canvas.height), canvas.width), 0, 0);
  } catch (err) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    showError(`The placeholder could not be decoded: ${err.message}`);
  }
}

function renderTiming(header) {
  const body = $("timing").querySelector("tbody");
  body.replaceChildren();
  for (const entry of (header || "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, ...parts] = entry.split(";");
    const dur = parts.find((p) => p.trim().startsWith("dur="));
    const desc = parts.find((p) => p.trim().startsWith("desc="));
    const row = document.createElement("tr");
    row.innerHTML = "<td></td><td></td>";
    row.cells[0].textContent = name;
    row.cells[1].textContent = dur ? `${dur.split("=")[1]} ms` : desc ? desc.split("=")[1].replaceAll('"', "") : "";
    body.append(row);
  }
}

/** Job mode shows the job's card instead of the single image's picture, gauge, median and histogram. */
function setJobMode(on) {
  $("results").classList.toggle("job-mode", on);
  $("job").hidden = !on;
}

/** An answer's JSON, or null when it is not JSON (a proxy's page, an empty body). */
async function jsonOf(res) {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** Several files as one job: submit, follow its progress, then a sortable table and the CSV. */
async function runJob(headers, params) {
  const form = new FormData();
  for (const f of files) form.append("images", f, f.name);
  setJobMode(true);
  $("error").style.display = "none";
  $("job-csv").disabled = true;
  $("job-progress").value = 0;
  $("job-status").textContent = `uploading ${files.length} files…`;
  $("job-table").querySelector("tbody").replaceChildren();
  // A column shows when its metric was asked for.
  const metrics = checkedMetrics();
  for (const th of document.querySelectorAll("#job-table th[data-metric]"))
    th.hidden = !metrics.includes(th.dataset.metric);
  $("results").setAttribute("aria-busy", "true");
  $("send").disabled = true;
  const fail = (res, body) => {
    $("job-status").textContent = "stopped";
    showError(describe(res.status, body));
  };
  try {
    const res = await fetch(`/v1/jobs?${params}`, { method: "POST", headers, body: form });
    let job = await jsonOf(res);
    if (res.status !== 202 || !job) return fail(res, job);
    while (job.status === "queued" || job.status === "running") {
      $("job-progress").value = job.progress_percent;
      $("job-status").textContent = `${job.done} of ${job.total} analysed`;
      $("raw").textContent = JSON.stringify(job, null, 2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const polled = await fetch(job.links.self, { headers });
      const body = await jsonOf(polled);
      if (polled.status !== 200 || !body) return fail(polled, body);
      job = body;
    }
    $("raw").textContent = JSON.stringify(job, null, 2);
    $("job-progress").value = 100;
    $("job-status").textContent =
      `${job.succeeded} analysed, ${job.failed} failed${job.status === "cancelled" ? " (cancelled)" : ""}`;
    const results = await fetch(job.links.results, { headers });
    if (results.status !== 200) return fail(results, await jsonOf(results));
    jobRows = (await results.text())
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .map((l) => ({
        name: l.id ?? l.source,
        status: l.status,
        score: l.result?.brightness_score ?? null,
        average: l.result?.average_luminance ?? null,
        median: l.result?.median_luminance ?? null,
        contrast: l.result?.contrast?.score ?? null,
        sharpness: l.result?.sharpness?.score ?? null,
        colorfulness: l.result?.colorfulness?.value ?? null,
        edge_density: l.result?.edge_density?.percent ?? null,
        colour: l.result?.colors?.dominant[0]?.hex ?? null,
        error: l.error ? `${l.error.code}: ${l.error.error}` : "",
      }));
    sortKey = null;
    for (const th of document.querySelectorAll("#job-table th")) th.removeAttribute("aria-sort");
    renderJobTable();
    jobCsv = { url: `${job.links.results}?format=csv`, headers, name: `${job.job_id}.csv` };
    $("job-csv").disabled = false;
  } catch (err) {
    $("job-status").textContent = "stopped";
    showError(`The request did not reach the API: ${err.message}`);
  } finally {
    $("results").setAttribute("aria-busy", "false");
    $("send").disabled = false;
  }
}

let jobRows = [];
let jobCsv = null;
let sortKey = null;
let sortDown = false;

function renderJobTable() {
  // The header says which columns there are, which are shown and which hold numbers.
  const columns = [...document.querySelectorAll("#job-table th")];
  const body = $("job-table").querySelector("tbody");
  body.replaceChildren(
    ...jobRows.map((row) => {
      const tr = document.createElement("tr");
      for (const th of columns) {
        const key = th.querySelector("button").dataset.sort;
        const td = document.createElement("td");
        td.hidden = th.hidden;
        td.className = th.className;
        if (key === "colour" && row.colour) td.append(swatch({ hex: row.colour }, [["hex", row.colour]], "span"));
        else td.textContent = row[key] ?? "–";
        tr.append(td);
      }
      return tr;
    }),
  );
}

for (const button of document.querySelectorAll("#job-table th button")) {
  button.addEventListener("click", () => {
    const key = button.dataset.sort;
    sortDown = sortKey === key ? !sortDown : false;
    sortKey = key;
    jobRows.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      // Rows without the value (a failed image's score) stay at the end in either direction.
      if (x == null || x === "" || y == null || y === "") return (x == null || x === "") - (y == null || y === "");
      const order =
        typeof x === "number" && typeof y === "number"
          ? x - y
          : String(x).localeCompare(String(y), undefined, { numeric: true });
      return sortDown ? -order : order;
    });
    for (const th of document.querySelectorAll("#job-table th")) th.removeAttribute("aria-sort");
    button.parentElement.setAttribute("aria-sort", sortDown ? "descending" : "ascending");
    renderJobTable();
  });
}

$("job-csv").addEventListener("click", async () => {
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
    showError(`The CSV could not be downloaded: ${err.message}`);
  }
});
