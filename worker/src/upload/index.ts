/**
 * Reads and checks an upload at the edge, so that a container only ever sees valid work: the size (from
 * `Content-Length` at once, and by counting while streaming when there is none), the `image` part, an empty
 * file, and the format from the file's magic numbers. Every refusal uses the container's own words, from the
 * shared contract.
 *
 * The Worker has 128 MB shared by its concurrent requests: it holds at most one size-capped upload per request
 * (needed to hash it for the cache), and a body is cut off as soon as it passes the cap.
 */
import type { AcceptedFormat, AnalysisParams } from "../../../contract/analysis.ts";
import { ApiError, missingField, tooLarge } from "../../../contract/errors.ts";
import { acceptedFormat, SNIFF_BYTES } from "../../../contract/formats.ts";
import { IMAGE_FIELD, MULTIPART_OVERHEAD_BYTES } from "../../../contract/service.ts";
import { sha256Hex } from "../digest.ts";

export interface Upload {
  file: File;
  bytes: Uint8Array;
  format: AcceptedFormat;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  params: AnalysisParams;
}

class BodyTooLarge extends Error {}

/** The body, cut off with `BodyTooLarge` once more than `maxBytes` have passed. */
function capped(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) controller.error(new BodyTooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Receives the multipart body of `request`, in the reference service's order of checks: the body's size
 * (413, from `Content-Length` at once, else by counting while streaming), then the `image` field (422). The
 * parameters (400) come next, from the route's query validation; then `checkImage`.
 *
 * @example
 * const { form, file } = await receiveForm(c.req.raw, { maxUploadBytes: 5 * 1024 * 1024 });
 */
export async function receiveForm(
  request: Request,
  options: { maxUploadBytes: number },
): Promise<{ form: FormData; file: File }> {
  const bodyCap = options.maxUploadBytes + MULTIPART_OVERHEAD_BYTES;
  const claimed = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (claimed > bodyCap) throw tooLarge(options.maxUploadBytes, claimed);
  const contentType = request.headers.get("Content-Type") ?? "";
  if (!/^multipart\/form-data/i.test(contentType) || !request.body) throw missingField(IMAGE_FIELD);

  let form: FormData;
  try {
    form = await new Response(capped(request.body, bodyCap), { headers: { "Content-Type": contentType } }).formData();
  } catch (cause) {
    if (cause instanceof BodyTooLarge)
      throw tooLarge(options.maxUploadBytes, Number.isFinite(claimed) ? claimed : bodyCap + 1);
    throw Object.assign(missingField(IMAGE_FIELD), { cause }); // not parseable as multipart: no `image` field
  }
  const file: unknown = form.get(IMAGE_FIELD);
  if (!(file instanceof File)) throw missingField(IMAGE_FIELD);
  return { form, file };
}

/**
 * The last checks of an upload, after its parameters: an empty file (400), the file's own size (413), its
 * format from the magic numbers (415 or 400); then its bytes' SHA-256 for the cache.
 *
 * @example
 * const image = await checkImage(file, { maxUploadBytes: 5 * 1024 * 1024 });
 */
export async function checkImage(
  file: File,
  options: { maxUploadBytes: number },
): Promise<Pick<Upload, "file" | "bytes" | "format" | "sha256">> {
  if (file.size === 0) throw new ApiError(400, "empty_image", "Empty image file");
  if (file.size > options.maxUploadBytes) throw tooLarge(options.maxUploadBytes, file.size);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const format = acceptedFormat(bytes.subarray(0, SNIFF_BYTES), file.type);
  return { file, bytes, format, sha256: await sha256Hex(bytes) };
}
