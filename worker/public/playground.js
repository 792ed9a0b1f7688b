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
    render(body);
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

function render(body) {
  $("error").style.display = "none";
  const score = body.brightness_score;
  $("score").textContent = score ?? "–";
  $("average").textContent = body.average_luminance ?? "–";
  const angle = Math.PI * (1 - (score ?? 0) / 100);
  const x = 100 + 80 * Math.cos(angle),
    y = 100 - 80 * Math.sin(angle);
  $("gauge-arc").setAttribute("d", score == null ? "" : `M20 100 A80 80 0 0 1 ${x.toFixed(1)} ${y.toFixed(1)}`);
  $("median").textContent = body.median_luminance ?? "–";
  $("edge-score").textContent = body.edge_mode ? `${body.edge_brightness_score} (${body.edge_mode})` : "–";
  const histogram = $("histogram");
  histogram.replaceChildren();
  for (const bucket of body.histogram || []) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.title = `${bucket.range}: ${bucket.percent} %`;
    bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", `luma ${bucket.range}: ${bucket.percent} percent`);
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.height = `${Math.max(0.5, bucket.percent)}%`;
    const label = document.createElement("small");
    label.textContent = bucket.range;
    bar.append(fill, label);
    histogram.append(bar);
  }
  drawEdges(body);
}

function drawEdges(body) {
  const img = $("preview"),
    canvas = $("overlay");
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
    if (body.edge_mode !== "top_bottom")
      rects.push([0, 0, bx, canvas.height], [canvas.width - bx, 0, bx, canvas.height]);
    if (body.edge_mode !== "left_right") {
      const inset = body.edge_mode === "all" ? bx : 0; // corners already counted
      rects.push([inset, 0, canvas.width - 2 * inset, by], [inset, canvas.height - by, canvas.width - 2 * inset, by]);
    }
    for (const r of rects) ctx.fillRect(...r);
    canvas.dataset.bands = String(rects.length);
  };
  if (img.complete && img.naturalWidth) draw();
  else img.addEventListener("load", draw, { once: true });
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
  $("job-table").querySelector("[data-col=median]").hidden = !params.get("metrics").includes("median");
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
  const body = $("job-table").querySelector("tbody");
  body.replaceChildren(
    ...jobRows.map((row) => {
      const tr = document.createElement("tr");
      for (const key of ["name", "status", "score", "average", "median", "error"]) {
        const td = document.createElement("td");
        td.hidden = key === "median" && $("job-table").querySelector("[data-col=median]").hidden;
        if (key === "score" || key === "average" || key === "median") td.className = "number";
        td.textContent = row[key] ?? "–";
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
