/**
 * What the Worker's end-to-end tests share: uploads through the real Worker, the container process's
 * controls, and distinct test images.
 */
import { SELF } from "cloudflare:test";
import { expect, inject } from "vitest";

import { AnalysisResponseSchema, ErrorEnvelopeSchema, ValidationEnvelopeSchema } from "../../contract/schemas.ts";

export { sha256Hex } from "../src/digest.ts";

/**
 * Checks a response body against the published contract (the zod schemas /openapi.json is generated from):
 * every end-to-end test that goes through `upload` or `conforms` fails on a body the contract does not allow.
 */
export async function conforms(res: Response): Promise<Response> {
  const type = res.headers.get("Content-Type") ?? "";
  if (!type.startsWith("application/json")) throw new Error(`expected JSON, got ${type} (${res.status})`);
  const body = (await res.clone().json()) as { detail?: unknown };
  if (res.status === 200) AnalysisResponseSchema.parse(body);
  else if (Array.isArray(body.detail)) ValidationEnvelopeSchema.parse(body);
  else ErrorEnvelopeSchema.parse(body);
  return res;
}

/** An 8×8 mid-grey (128) PNG, the same image ../shared/tools/image-check sends. */
export const GREY_PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAD0lEQVR4nGNowAEYhpYEAILzYAGc7g8kAAAAAElFTkSuQmCC"),
  (ch) => ch.charCodeAt(0),
);

/** Distinct test image `i` (0–99), made by the global setup with sharp. */
export function png(i: number): Uint8Array {
  const base64 = inject("pngs")[i];
  if (base64 === undefined) throw new RangeError(`Expected an image index below 100 but received ${i}`);
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

export interface UploadOptions {
  query?: string;
  key?: string | null;
  headers?: Record<string, string>;
  type?: string;
}

/** POST the bytes as the `image` field through the Worker; the answer is checked against the contract. */
export async function upload(bytes: Uint8Array, options: UploadOptions = {}): Promise<Response> {
  const form = new FormData();
  form.append("image", new Blob([bytes], { type: options.type ?? "image/png" }), "test.png");
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? "test-key-main" : options.key;
  if (key !== null) headers["X-API-Key"] = key;
  const res = await SELF.fetch(`https://api.test/v1/image/analysis${options.query ?? ""}`, {
    method: "POST",
    body: form,
    headers,
  });
  return conforms(res);
}

/**
 * Whether the container process logged a request with this ID (it saw the request). Its log line is
 * written as the answer leaves, so it is waited for up to `waitMs`.
 */
export async function containerSaw(requestId: string, waitMs = 1_000): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const res = await fetch(`${inject("controlUrl")}/seen?request_id=${encodeURIComponent(requestId)}`);
    if (((await res.json()) as { seen: boolean }).seen) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops, starts, pauses (SIGSTOP) or resumes (SIGCONT) the container process. */
export async function control(action: "stop" | "kill" | "start" | "pause" | "resume"): Promise<void> {
  const res = await fetch(`${inject("controlUrl")}/${action}`, { method: "POST" });
  expect(res.status).toBe(204);
}

/** The container process's own counters (`GET /health?deep=1`), read directly. */
export async function containerCounters(): Promise<{ analyses_total: number; in_flight: number }> {
  const res = await fetch(`${inject("containerUrl")}/health?deep=1`);
  return res.json();
}
