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

function tryIt(path, method) {
  if (path !== "/health") return el("p", {}, el("a", { href: "/playground", textContent: "Try it in the playground" }));
  const out = el("pre", { textContent: "" });
  const deep = el("input", { type: "checkbox", id: "deep" });
  const button = el("button", { type: "button", textContent: "Try it" });
  button.addEventListener("click", async () => {
    const res = await fetch(path + (deep.checked ? "?deep=1" : ""), { method: method.toUpperCase() });
    out.textContent = res.status + "\\n" + JSON.stringify(await res.json(), null, 2);
  });
  return el("div", {}, el("label", {}, deep, " deep=1 "), button, out);
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
      section.append(tryIt(path, method));
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
