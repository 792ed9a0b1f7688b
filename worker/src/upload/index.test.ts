import { describe, expect, it } from "vitest";
import { parseAnalysisParams } from "../../../contract/analysis.ts";
import { ApiError } from "../../../contract/errors.ts";
import { checkImage, receiveForm, type Upload } from "./index.ts";

const PNG_HEAD = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);

function multipart(bytes: Uint8Array, query = "", type = "image/png"): Request {
  const form = new FormData();
  form.append("image", new Blob([bytes], { type }), "a.png");
  return new Request(`https://api.test/v1/image/analysis${query}`, { method: "POST", body: form });
}

/**
 * A whole upload read and checked as the upload route does, in the reference's order: the form
 * (`receiveForm`), the parameters (the route's query schema), then the file (`checkImage`).
 */
async function readUpload(request: Request, options: { maxUploadBytes: number }): Promise<Upload> {
  const { file } = await receiveForm(request, options);
  const params = parseAnalysisParams(new URL(request.url).searchParams);
  return { ...(await checkImage(file, options)), params };
}

async function failure(request: Request, maxUploadBytes = 1024): Promise<{ status: number; code: string }> {
  const error = await readUpload(request, { maxUploadBytes }).catch((e: unknown) => e);
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return { status: error.status, code: error.code };
}

describe("an upload read as the route reads it", () => {
  it("returns the file, its format, its SHA-256 and the parameters", async () => {
    const upload = await readUpload(multipart(PNG_HEAD, "?metrics=median&edge_mode=ALL"), { maxUploadBytes: 1024 });
    expect(upload.format).toBe("png");
    expect(upload.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(upload.params).toEqual({ metrics: ["median"], edgeMode: "all", background: null });
    expect(upload.bytes).toEqual(PNG_HEAD);
  });

  it("checks in the reference's order: field, parameters, empty, size, format", async () => {
    const noField = new Request("https://api.test/v1/image/analysis?metrics=x", {
      method: "POST",
      body: new FormData(),
    });
    expect(await failure(noField)).toEqual({ status: 422, code: "validation_error" });
    expect(await failure(multipart(new Uint8Array(0), "?metrics=x"))).toEqual({ status: 400, code: "invalid_metrics" });
    expect(await failure(multipart(new Uint8Array(0)))).toEqual({ status: 400, code: "empty_image" });
    expect(await failure(multipart(new Uint8Array(2000)))).toEqual({ status: 413, code: "payload_too_large" });
    expect(await failure(multipart(new TextEncoder().encode("%PDF-1.4")))).toEqual({
      status: 415,
      code: "unsupported_media_type",
    });
  });

  it("refuses a body that is not multipart as a missing field", async () => {
    const json = new Request("https://api.test/v1/image/analysis", {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json" },
    });
    expect(await failure(json)).toEqual({ status: 422, code: "validation_error" });
  });
});
