/**
 * The pipeline when the way to the container answers something that is not the API's JSON (a proxy's plain text,
 * a body cut short): 503 `container_failed`, which the caller may retry, never a bare 500.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseAnalysisParams } from "../../../contract/analysis.ts";
import { ApiError } from "../../../contract/errors.ts";
import { configFor } from "../config.ts";
import { sha256Hex } from "../digest.ts";
import type { Env } from "../env.ts";
import { analyseImage } from "./index.ts";

/** The Worker's bindings with every analyzer instance answering `answer()`. */
function answering(answer: () => Response): Env {
  return { ...env, ANALYZER: { getByName: () => ({ fetch: async () => answer() }) } } as unknown as Env;
}

async function image() {
  const bytes = crypto.getRandomValues(new Uint8Array(64));
  return {
    file: new File([bytes], "image.png", { type: "image/png" }),
    sha256: await sha256Hex(bytes),
    params: parseAnalysisParams(new URLSearchParams("metrics=brightness")),
  };
}

const options = { partition: "broken-answers", requestId: "broken-answer", waitUntil: () => {} };

describe("an answer from the container's side that is not the API's JSON", () => {
  it.each([
    ["a proxy's plain-text 400", () => new Response("HTTP/1.1 400 Bad Request\r\n\r\n", { status: 400 })],
    ["a 503 whose JSON has no error code", () => Response.json({ error: "busy" }, { status: 503 })],
    ["a 200 cut short", () => new Response('{"brightness_score":5', { status: 200 })],
  ])("%s is 503 container_failed with Retry-After", async (_name, answer) => {
    const failure = await analyseImage(answering(answer), configFor(env), await image(), options).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 503, code: "container_failed", headers: { "Retry-After": "5" } });
  });

  it("a container's own error envelope is passed on as it is", async () => {
    const envelope = { detail: { code: "unsupported_type", message: "Unsupported file type" } };
    const outcome = await analyseImage(
      answering(() => Response.json(envelope, { status: 415 })),
      configFor(env),
      await image(),
      options,
    );
    expect(outcome).toMatchObject({ ok: false, status: 415, detail: envelope.detail });
  });
});
