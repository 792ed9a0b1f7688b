/**
 * The OpenAPI document's examples, taken from real answers of the real engine on the reference samples (not
 * invented). `npm run gen:examples` writes contract/examples.json; container/test/examples.test.ts fails when
 * the committed file no longer matches what the engine answers.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createApp } from "../container/src/app.ts";
import { loadConfig } from "../container/src/config.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const REQUEST_ID = "5f0c2a9e-8d0b-4c1e-9a53-7e6f1b2c3d4e";

function form(bytes: Uint8Array<ArrayBuffer>, type: string, name: string): FormData {
  const body = new FormData();
  body.append("image", new Blob([bytes], { type }), name);
  return body;
}

const sample = (name: string): Uint8Array<ArrayBuffer> =>
  new Uint8Array(readFileSync(`${ROOT}../shared/fixtures/reference/${name}`));

/** Each example: a name, the request (query, file), and the engine's real answer. */
export async function realExamples(): Promise<Record<string, { summary: string; value: unknown }>> {
  const app = createApp(loadConfig({}));
  const ask = async (query: string, body: FormData) => {
    const res = await app.request(`/v1/image/analysis${query}`, {
      method: "POST",
      body,
      headers: { "X-Request-Id": REQUEST_ID },
    });
    return res.json();
  };
  return {
    brightness: {
      summary: "sample2-536x354.jpg with the default metrics",
      value: await ask("", form(sample("sample2-536x354.jpg"), "image/jpeg", "sample2.jpg")),
    },
    everything: {
      summary: "sample1-536x354-grayscale.jpg, every metric and edge_mode=all",
      value: await ask(
        "?metrics=brightness,median,histogram&edge_mode=all",
        form(sample("sample1-536x354-grayscale.jpg"), "image/jpeg", "sample1.jpg"),
      ),
    },
    large: {
      summary: "sample3-color-5000x3330.jpg (16 MP), median and edge_mode=left_right",
      value: await ask(
        "?metrics=median&edge_mode=left_right",
        form(sample("sample3-color-5000x3330.jpg"), "image/jpeg", "sample3.jpg"),
      ),
    },
    insights: {
      summary: "sample2-536x354.jpg, metrics=all (the v2 insights beside v1's fields) and edge_mode=all",
      value: await ask("?metrics=all&edge_mode=all", form(sample("sample2-536x354.jpg"), "image/jpeg", "sample2.jpg")),
    },
    lstar: {
      summary: "sample2-536x354.jpg on the CIE L* scale (algorithm=lstar): the brightness family on 0–100",
      value: await ask(
        "?metrics=brightness,median,histogram&algorithm=lstar",
        form(sample("sample2-536x354.jpg"), "image/jpeg", "sample2.jpg"),
      ),
    },
    invalid_metrics: {
      summary: "metrics=colour",
      value: await ask("?metrics=colour", form(sample("sample2-536x354.jpg"), "image/jpeg", "sample2.jpg")),
    },
    invalid_algorithm: {
      summary: "algorithm=hsp",
      value: await ask("?algorithm=hsp", form(sample("sample2-536x354.jpg"), "image/jpeg", "sample2.jpg")),
    },
    unsupported_type: {
      summary: "an SVG file",
      value: await ask(
        "",
        form(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/svg+xml", "a.svg"),
      ),
    },
    missing_image: { summary: "no image field", value: await ask("", new FormData()) },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { writeFileSync } = await import("node:fs");
  const { execFileSync } = await import("node:child_process");
  const path = `${ROOT}contract/examples.json`;
  writeFileSync(path, `${JSON.stringify(await realExamples(), null, 2)}\n`);
  // In the repository's format (short arrays on one line), so that `npm run lint` passes on what was written.
  execFileSync(`${ROOT}node_modules/.bin/biome`, ["format", "--write", path], { stdio: "ignore" });
  console.log("wrote contract/examples.json");
}
