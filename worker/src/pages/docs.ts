/**
 * `GET /docs`: the OpenAPI document (`/openapi.json`) as a page people read: every operation with its
 * parameters, request body, responses and their real examples, a "try it" for each operation, and the schemas.
 * Rendered in the browser from the same document tools read, so the two cannot disagree. No external CDN.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>image-insights-api docs</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 980px; padding: 1rem; }
  .op { background: #fff; border-radius: 8px; padding: 1rem; margin: 1rem 0; box-shadow: 0 1px 3px #0002; }
  .method { display: inline-block; padding: .1rem .5rem; border-radius: 4px; color: #fff; background: #2f6fed; font-weight: 700; }
  .method.get { background: #188038; }
  code, pre { font-family: ui-monospace, monospace; }
  pre { background: #1d2330; color: #e6e9ef; padding: .8rem; border-radius: 6px; overflow: auto; font-size: .8rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eceef2; vertical-align: top; }
  details { margin: .4rem 0; }
  label { display: block; margin: .3rem 0; }
  .try input[type=text], .try input[type=password], .try textarea { font: inherit; width: 100%; max-width: 40rem; box-sizing: border-box; }
  button { font: inherit; padding: .4rem .9rem; background: #2f6fed; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
  button:focus-visible, a:focus-visible, summary:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
</style>
</head>
<body>
<header><h1 id="title">image-insights-api</h1><p id="description"></p>
<p><a href="/openapi.json">openapi.json</a> · <a href="/playground">playground</a></p></header>
<main id="operations" aria-live="polite"><p>Loading the OpenAPI document…</p></main>
<h2>Schemas</h2><div id="schemas"></div>
<script src="/docs.js"></script>
</body>
</html>`;

export const DOCS_JS = `"use strict";
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c != null));
  return node;
};
const pre = (value) => el("pre", { textContent: JSON.stringify(value, null, 2) });

/** A "Try it" form for one operation, built from its parameters and request body. */
function tryIt(path, method, op) {
  const out = el("pre", { textContent: "" });
  const fields = el("div");
  const key = el("input", { type: "password", placeholder: "X-API-Key (optional under npm run dev)", autocomplete: "off" });
  const params = (op.parameters || []).map((p) => {
    const input = el("input", { type: "text", name: p.name, placeholder: p.schema?.example || (p.schema?.enum || []).join(" | ") });
    fields.append(el("label", {}, el("code", { textContent: p.name }), " ", input));
    return input;
  });
  const media = op.requestBody && Object.keys(op.requestBody.content)[0];
  const file = media === "multipart/form-data" ? el("input", { type: "file", name: "image", accept: "image/*" }) : null;
  const json = media === "application/json" ? el("textarea", { rows: 4, cols: 60, value: JSON.stringify(op.requestBody.content[media].example || {}, null, 2) }) : null;
  if (file) fields.append(el("label", {}, "image ", file));
  if (json) fields.append(el("label", {}, "body ", json));
  const button = el("button", { type: "button", textContent: "Try it" });
  button.addEventListener("click", async () => {
    const query = new URLSearchParams(params.filter((i) => i.value).map((i) => [i.name, i.value]));
    const init = { method: method.toUpperCase(), headers: {} };
    if (key.value) init.headers["X-API-Key"] = key.value;
    if (file) {
      const form = new FormData();
      if (file.files[0]) form.append("image", file.files[0]);
      init.body = form;
    }
    if (json) {
      init.headers["Content-Type"] = "application/json";
      init.body = json.value;
    }
    out.textContent = "…";
    try {
      const res = await fetch(path + (query.size ? "?" + query : ""), init);
      const text = await res.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      out.textContent = res.status + " " + res.statusText + "\\n" + shown;
    } catch (err) {
      out.textContent = "The request did not reach the API: " + err.message;
    }
  });
  return el("details", { className: "try" }, el("summary", { textContent: "Try it" }), fields, op.security?.length === 0 ? null : key, " ", button, out);
}

async function main() {
  const doc = await (await fetch("/openapi.json")).json();
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("description").textContent = doc.info.description;
  const ops = document.getElementById("operations");
  ops.replaceChildren();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const section = el("section", { className: "op" });
      section.append(el("h2", {}, el("span", { className: "method " + method, textContent: method.toUpperCase() }), " ", el("code", { textContent: path })));
      section.append(el("p", { textContent: op.summary }));
      if (op.parameters?.length) {
        const table = el("table", {}, el("tr", {}, el("th", { textContent: "parameter" }), el("th", { textContent: "in" }), el("th", { textContent: "meaning" })));
        for (const p of op.parameters) {
          const meaning = p.description || (p.schema?.enum ? "one of " + p.schema.enum.join(", ") : p.schema?.description || "");
          table.append(el("tr", {}, el("td", {}, el("code", { textContent: p.name })), el("td", { textContent: p.in }), el("td", { textContent: meaning })));
        }
        section.append(table);
      }
      if (op.requestBody) {
        const [type, media] = Object.entries(op.requestBody.content)[0];
        section.append(el("details", {}, el("summary", { textContent: "Request body: " + type }), pre(media.schema), media.example ? pre(media.example) : null));
      }
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content?.["application/json"];
        const body = el("details", {}, el("summary", { textContent: status + " " + response.description }));
        for (const [name, example] of Object.entries(media?.examples || {})) {
          body.append(el("p", {}, el("b", { textContent: name }), " " + (example.summary || "")), pre(example.value));
        }
        section.append(body);
      }
      section.append(tryIt(path, method, op));
      ops.append(section);
    }
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    schemas.append(el("details", {}, el("summary", { textContent: name }), pre(schema)));
  }
}
main().catch((err) => {
  document.getElementById("operations").textContent = "The OpenAPI document could not be loaded: " + err.message;
});
`;
