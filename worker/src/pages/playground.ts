/**
 * `GET /playground`: try the API in a browser. One page, its script served beside it (`/playground.js`), no
 * external CDN and nothing to build: pick, drop or paste an image (or a URL), choose the parameters, send with an
 * optional key; see the picture with the analysed edge bands drawn over it, the score as a gauge, the median,
 * the histogram as bars, the Server-Timing breakdown and the raw JSON. Errors are said in words.
 */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>image-insights-api playground</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
  body { margin: 0; }
  header { padding: 1rem 1.25rem; background: #1d2330; color: #fff; }
  header h1 { margin: 0; font-size: 1.2rem; }
  header a { color: #9cc2ff; }
  main { display: grid; gap: 1rem; padding: 1rem; grid-template-columns: minmax(280px, 380px) 1fr; }
  @media (max-width: 760px) { main { grid-template-columns: 1fr; padding: .5rem; } }
  main > * { min-width: 0; }
  section, form { background: #fff; border-radius: 8px; padding: 1rem; box-shadow: 0 1px 3px #0002; }
  fieldset { border: 1px solid #d5d9e0; border-radius: 6px; margin: 0 0 .8rem; }
  label { display: block; margin: .3rem 0; }
  input[type=text], input[type=password], input[type=url], select { width: 100%; box-sizing: border-box; padding: .45rem; font: inherit; }
  #drop { display: block; border: 2px dashed #8a94a6; border-radius: 6px; padding: 1rem; text-align: center; cursor: pointer; }
  #drop.over { background: #e8f0ff; border-color: #2f6fed; }
  #drop:focus-within { outline: 3px solid #2f6fed; }
  button { font: inherit; padding: .6rem 1.2rem; background: #2f6fed; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  #picture { position: relative; display: inline-block; max-width: 100%; }
  #picture img { display: block; max-width: 100%; max-height: 360px; }
  #overlay { position: absolute; inset: 0; pointer-events: none; }
  .cards { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); margin-top: 1rem; }
  .card h2 { font-size: 1rem; margin: 0 0 .5rem; }
  #histogram { display: flex; align-items: flex-end; gap: 4px; height: 160px; padding-top: .5rem; }
  .bar { flex: 1; display: flex; flex-direction: column; justify-content: flex-end; align-items: center; height: 100%; }
  .bar span.fill { width: 100%; background: linear-gradient(#5b8def, #2f6fed); border-radius: 3px 3px 0 0; min-height: 1px; }
  .bar small { font-size: .6rem; writing-mode: vertical-rl; transform: rotate(180deg); margin-top: 3px; color: #5b6475; }
  #error { display: none; border-left: 4px solid #d93025; background: #fdecea; padding: .8rem; border-radius: 4px; }
  pre { background: #1d2330; color: #e6e9ef; padding: .8rem; border-radius: 6px; overflow: auto; font-size: .8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
  #error { overflow-wrap: anywhere; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  td { padding: .2rem .4rem; border-bottom: 1px solid #eceef2; }
  #median { font-size: 2rem; font-weight: 600; }
</style>
</head>
<body>
<header><h1>image-insights-api playground</h1><p>How bright is an image, and how is its brightness spread? <a href="/docs">API docs</a></p></header>
<main>
  <form id="form" aria-describedby="hint">
    <p id="hint">Choose an image or give a URL, pick what to compute, and send.</p>
    <fieldset>
      <legend>Image</legend>
      <label id="drop" for="file">Drop an image here, or <u>choose a file</u> (JPEG, PNG, WebP, AVIF, GIF; up to 5 MB)
        <input id="file" class="visually-hidden" type="file" accept="image/jpeg,image/png,image/webp,image/avif,image/gif">
      </label>
      <p id="filename" aria-live="polite"></p>
      <label for="url">…or an image URL</label>
      <input id="url" type="url" placeholder="https://example.com/photo.jpg">
    </fieldset>
    <fieldset>
      <legend>Metrics</legend>
      <label><input type="checkbox" name="metric" value="brightness" checked> brightness</label>
      <label><input type="checkbox" name="metric" value="median" checked> median</label>
      <label><input type="checkbox" name="metric" value="histogram" checked> histogram</label>
      <label for="edge">Edge mode</label>
      <select id="edge"><option value="">none</option><option value="left_right">left_right</option><option value="top_bottom">top_bottom</option><option value="all" selected>all</option></select>
      <label><input id="flatten" type="checkbox"> flatten transparency onto</label>
      <label for="background" class="visually-hidden">Background colour</label>
      <input id="background" type="color" value="#ffffff">
    </fieldset>
    <fieldset>
      <legend>API key (optional under npm run dev)</legend>
      <label for="key" class="visually-hidden">API key</label>
      <input id="key" type="password" autocomplete="off" placeholder="X-API-Key">
    </fieldset>
    <button id="send" type="submit">Analyse</button>
  </form>
  <section aria-live="polite" aria-busy="false" id="results">
    <div id="error" role="alert"></div>
    <div id="picture"><img id="preview" alt="The image being analysed"><canvas id="overlay" aria-hidden="true"></canvas></div>
    <div class="cards">
      <div class="card"><h2>Brightness</h2><svg id="gauge" viewBox="0 0 200 120" width="200" height="120" role="img" aria-label="brightness score">
        <path d="M20 100 A80 80 0 0 1 180 100" fill="none" stroke="#e2e6ee" stroke-width="18"/>
        <path id="gauge-arc" d="" fill="none" stroke="#2f6fed" stroke-width="18"/>
        <text id="score" x="100" y="95" text-anchor="middle" font-size="34" font-weight="700">–</text>
        <text x="100" y="115" text-anchor="middle" font-size="11" fill="#5b6475">score (0–100)</text></svg>
        <p>average luminance <b id="average">–</b></p></div>
      <div class="card"><h2>Median</h2><div id="median">–</div><p>edge score <b id="edge-score">–</b></p></div>
      <div class="card"><h2>Server-Timing</h2><table id="timing"><tbody></tbody></table></div>
    </div>
    <div class="card"><h2>Histogram</h2><div id="histogram" aria-label="histogram of luma"></div></div>
    <h2>Raw JSON</h2><pre id="raw">Nothing sent yet.</pre>
  </section>
</main>
<script src="/playground.js"></script>
</body>
</html>`;

export const PLAYGROUND_JS = `"use strict";
const $ = (id) => document.getElementById(id);
let file = null;

function setFile(f) {
  file = f;
  $("filename").textContent = f ? f.name + " (" + Math.round(f.size / 1024) + " KB)" : "";
  if (f) { $("url").value = ""; $("preview").src = URL.createObjectURL(f); }
}
$("file").addEventListener("change", () => setFile($("file").files[0] || null));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); setFile(e.dataTransfer.files[0] || null); });
document.addEventListener("paste", (e) => { const f = [...(e.clipboardData?.files || [])][0]; if (f) setFile(f); });

function query() {
  const params = new URLSearchParams();
  const metrics = [...document.querySelectorAll("input[name=metric]:checked")].map((m) => m.value);
  params.set("metrics", metrics.join(","));
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
    const body = { url: $("url").value, metrics: params.get("metrics") };
    if (params.get("edge_mode")) body.edge_mode = params.get("edge_mode");
    if (params.get("background")) body.background = params.get("background");
    request = fetch("/v1/image/analysis/url", { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  } else if (file) {
    const form = new FormData();
    form.append("image", file, file.name);
    request = fetch("/v1/image/analysis?" + params, { method: "POST", headers, body: form });
  } else {
    return showError("Choose an image or give a URL first.");
  }
  $("results").setAttribute("aria-busy", "true");
  $("send").disabled = true;
  try {
    const res = await request;
    const text = await res.text();
    let body;
    try { body = JSON.parse(text); } catch { body = null; }
    $("raw").textContent = body ? JSON.stringify(body, null, 2) : text;
    renderTiming(res.headers.get("Server-Timing"));
    if (!res.ok || !body) return showError(describe(res.status, body));
    render(body);
  } catch (err) {
    showError("The request did not reach the API: " + err.message);
  } finally {
    $("results").setAttribute("aria-busy", "false");
    $("send").disabled = false;
  }
});

function describe(status, body) {
  const detail = body && body.detail;
  if (Array.isArray(detail)) return status + ": " + detail.map((d) => d.msg + " (" + d.loc.join(".") + ")").join("; ");
  if (detail && detail.error) {
    const more = detail.detail || detail.details || "";
    const hint = detail.retry_after_seconds ? " Retry in " + detail.retry_after_seconds + " s." : "";
    return status + " " + detail.error + (more ? ": " + more : "") + "." + hint + " (code " + detail.code + ", request " + detail.request_id + ")";
  }
  return "The API answered " + status + ".";
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.style.display = "block";
}

function render(body) {
  $("error").style.display = "none";
  const score = body.brightness_score;
  $("score").textContent = score ?? "–";
  $("average").textContent = body.average_luminance ?? "–";
  const angle = Math.PI * (1 - (score ?? 0) / 100);
  const x = 100 + 80 * Math.cos(angle), y = 100 - 80 * Math.sin(angle);
  $("gauge-arc").setAttribute("d", score == null ? "" : "M20 100 A80 80 0 0 1 " + x.toFixed(1) + " " + y.toFixed(1));
  $("median").textContent = body.median_luminance ?? "–";
  $("edge-score").textContent = body.edge_mode ? body.edge_brightness_score + " (" + body.edge_mode + ")" : "–";
  const histogram = $("histogram");
  histogram.replaceChildren();
  for (const bucket of body.histogram || []) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.title = bucket.range + ": " + bucket.percent + " %";
    bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", "luma " + bucket.range + ": " + bucket.percent + " percent");
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.height = Math.max(0.5, bucket.percent) + "%";
    const label = document.createElement("small");
    label.textContent = bucket.range;
    bar.append(fill, label);
    histogram.append(bar);
  }
  drawEdges(body);
}

function drawEdges(body) {
  const img = $("preview"), canvas = $("overlay");
  const draw = () => {
    canvas.width = img.clientWidth;
    canvas.height = img.clientHeight;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    canvas.dataset.edgeMode = body.edge_mode || "";
    if (!body.edge_mode) return;
    // Bands are max(1, floor(10 %)) of the analysed image, scaled to the picture as shown.
    const bx = (Math.max(1, Math.floor(body.analysed_width * 0.1)) / body.analysed_width) * canvas.width;
    const by = (Math.max(1, Math.floor(body.analysed_height * 0.1)) / body.analysed_height) * canvas.height;
    ctx.fillStyle = "rgba(240, 165, 0, 0.45)";
    const rects = [];
    if (body.edge_mode !== "top_bottom") rects.push([0, 0, bx, canvas.height], [canvas.width - bx, 0, bx, canvas.height]);
    if (body.edge_mode !== "left_right") {
      const inset = body.edge_mode === "all" ? bx : 0; // corners already counted
      rects.push([inset, 0, canvas.width - 2 * inset, by], [inset, canvas.height - by, canvas.width - 2 * inset, by]);
    }
    for (const r of rects) ctx.fillRect(...r);
    canvas.dataset.bands = String(rects.length);
  };
  if (img.complete && img.naturalWidth) draw(); else img.addEventListener("load", draw, { once: true });
}

function renderTiming(header) {
  const body = $("timing").querySelector("tbody");
  body.replaceChildren();
  for (const entry of (header || "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const [name, ...parts] = entry.split(";");
    const dur = parts.find((p) => p.trim().startsWith("dur="));
    const desc = parts.find((p) => p.trim().startsWith("desc="));
    const row = document.createElement("tr");
    row.innerHTML = "<td></td><td></td>";
    row.cells[0].textContent = name;
    row.cells[1].textContent = dur ? dur.split("=")[1] + " ms" : (desc ? desc.split("=")[1].replaceAll('"', "") : "");
    body.append(row);
  }
}
`;
