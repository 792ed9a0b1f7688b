/**
 * What the CLI will send: the images its arguments name (files, folders walked for images, URLs), in the order of
 * the arguments, and the jobs they go in, each within the API's limits and with an Idempotency-Key that depends
 * only on what the job carries. No network here.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { sniffFormat } from "../../../contract/formats.ts";
import { MAX_JOB_ITEMS, MAX_JOB_UPLOAD_BYTES, MAX_UPLOAD_BYTES } from "../../../contract/limits.ts";

/** The extensions a folder is walked for; a file named on the command line is judged by its bytes alone. */
export const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif"]);
const ACCEPTED = new Set(["jpeg", "png", "webp", "avif", "gif"]);
/**
 * The file bytes one multipart job may carry: the API's cap less a margin, so that a job's size is never decided
 * by how its parser counts the framing.
 */
export const JOB_FILE_BYTES = MAX_JOB_UPLOAD_BYTES - 1024 * 1024;
export { MAX_JOB_ITEMS, MAX_UPLOAD_BYTES };

export type Image =
  | { kind: "url"; url: string }
  /** `name` is the path as reached from the argument (what the results' `id` and `source` will say). */
  | { kind: "file"; path: string; name: string; bytes: number; sha256: string; type: string };

export interface Skipped {
  path: string;
  reason: string;
}

/** Thrown for arguments that cannot be used: the CLI exits 2 with this message. */
export class UsageError extends Error {}

const isUrl = (arg: string) => /^https?:\/\//i.test(arg);

/** A file's entry, or why it is skipped: empty, over the API's size cap, or not an image the API reads. */
function fileImage(path: string): Image | Skipped {
  const size = statSync(path).size;
  if (size === 0) return { path, reason: "empty" };
  if (size > MAX_UPLOAD_BYTES) return { path, reason: `larger than the API's ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB` };
  const bytes = readFileSync(path);
  const format = sniffFormat(bytes.subarray(0, 512));
  if (!format || !ACCEPTED.has(format))
    return { path, reason: `not a JPEG, PNG, WebP, AVIF or GIF${format ? ` (${format})` : ""}` };
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { kind: "file", path, name: path, bytes: size, sha256, type: `image/${format}` };
}

/**
 * The images the arguments name, in their order (a folder's files sorted by path), and what was skipped.
 *
 * @example
 * gather(["photos", "https://example.com/a.jpg"]); // { images: [photos/a.png…, the URL], skipped: [photos/notes.txt] }
 */
export function gather(args: string[]): { images: Image[]; skipped: Skipped[] } {
  const images: Image[] = [];
  const skipped: Skipped[] = [];
  const add = (entry: Image | Skipped) => ("kind" in entry ? images.push(entry) : skipped.push(entry));
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase()))
        skipped.push({ path, reason: "not an image (by its extension)" });
      else add(fileImage(path));
    }
  };
  for (const arg of args) {
    if (isUrl(arg)) {
      images.push({ kind: "url", url: arg });
      continue;
    }
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(arg);
    } catch {
      throw new UsageError(`No such file or folder: ${arg} (URLs must start with http:// or https://)`);
    }
    if (stat.isDirectory()) walk(arg);
    else add(fileImage(arg));
  }
  return { images, skipped };
}

export interface PlannedJob {
  kind: "urls" | "files";
  images: Image[];
  /** Each image's place among all the images (the order of the arguments), for merging the results. */
  positions: number[];
  /** The Idempotency-Key: the same images and parameters give the same key, so a rerun finds its job. */
  key: string;
}

/**
 * The jobs for `images`: URLs in JSON jobs, files in multipart jobs, each within MAX_JOB_ITEMS and
 * JOB_FILE_BYTES, in order. `query` (the analysis parameters) is part of every key.
 *
 * @example
 * plan(images, { metrics: "brightness" }); // [{ kind: "files", images: [...], positions: [0, 1…], key: "iicli-…" }]
 */
export function plan(images: Image[], query: Record<string, string>): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  for (const kind of ["urls", "files"] as const) {
    let current: PlannedJob | null = null;
    let bytes = 0;
    for (const [position, image] of images.entries()) {
      if ((image.kind === "url") !== (kind === "urls")) continue;
      const size = image.kind === "file" ? image.bytes : 0;
      if (!current || current.images.length >= MAX_JOB_ITEMS || bytes + size > JOB_FILE_BYTES) {
        current = { kind, images: [], positions: [], key: "" };
        jobs.push(current);
        bytes = 0;
      }
      current.images.push(image);
      current.positions.push(position);
      bytes += size;
    }
  }
  for (const job of jobs) {
    const hash = createHash("sha256").update(JSON.stringify(Object.entries(query).sort()));
    // The API compares a retried submission by its items: URLs, or files' bytes and names.
    for (const image of job.images)
      hash.update(image.kind === "url" ? `url ${image.url}\n` : `file ${image.sha256} ${image.name}\n`);
    job.key = `iicli-${hash.digest("hex").slice(0, 48)}`;
  }
  return jobs;
}
