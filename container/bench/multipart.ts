/**
 * The container's multipart parsing (container/src/multipart.ts: `@remix-run/multipart-parser`, which the Worker
 * reads job submissions with) against the parser written for this service that it replaced
 * (./multipart-hand-written.ts), on what the container needs from a body: the bytes and type of its one `image`
 * file. Both find it in a whole body already in memory (app.ts reads it before parsing), in place: the file is a
 * view of the body, never a copy (checked before timing).
 *
 * The bodies are what undici (Node's `fetch`) sends for a form: a 50 KB, a 2 MB and a 20 MB image alone, and a
 * 2 MB image after a text field. The two parsers run in rotation, one parse each per round, so that load from
 * elsewhere hits them alike; the figure is the median per parse over the rounds.
 *
 *   node --import tsx container/bench/multipart.ts [rounds]
 */
import os from "node:os";
import { IMAGE_FIELD } from "../../contract/service.ts";
import { type FilePart, filePart } from "../src/multipart.ts";
import { handWrittenFilePart } from "./multipart-hand-written.ts";

const rounds = Number(process.argv[2] ?? 300);
const WARMUP_ROUNDS = 30;

/** Bytes that look like a compressed image: no structure a parser could take a shortcut on. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** A form as undici encodes it, the body and its Content-Type. */
async function encode(form: FormData): Promise<{ body: Uint8Array; type: string }> {
  const response = new Response(form);
  return { body: new Uint8Array(await response.arrayBuffer()), type: response.headers.get("content-type") as string };
}

async function imageForm(size: number, withTextField: boolean): Promise<{ body: Uint8Array; type: string }> {
  const form = new FormData();
  if (withTextField) form.append("metrics", "brightness,median,histogram,colors");
  form.append(IMAGE_FIELD, new Blob([noise(size, size)], { type: "image/jpeg" }), "photo.jpg");
  return encode(form);
}

const KB = 1000;
const MB = 1000 * KB;
const bodies: Array<[string, { body: Uint8Array; type: string }]> = [
  ["50 KB image", await imageForm(50 * KB, false)],
  ["2 MB image", await imageForm(2 * MB, false)],
  ["20 MB image", await imageForm(20 * MB, false)],
  ["text field + 2 MB image", await imageForm(2 * MB, true)],
];

const parsers: Array<[string, (body: Uint8Array, type: string) => FilePart | null]> = [
  ["hand-written (before)", (body, type) => handWrittenFilePart(body, type, IMAGE_FIELD)],
  ["@remix-run/multipart-parser (now)", (body, type) => filePart(body, type, IMAGE_FIELD)],
];

// Both must find the same bytes, in place, before either is timed.
for (const [name, { body, type }] of bodies) {
  const [mine, theirs] = parsers.map(([, parse]) => parse(body, type));
  if (!mine || !theirs || Buffer.compare(mine.bytes, theirs.bytes) !== 0 || mine.type !== theirs.type) {
    throw new Error(`The two parsers disagree on the ${name} body: fix the parser before timing it`);
  }
  if (mine.bytes.buffer !== body.buffer || theirs.bytes.buffer !== body.buffer) {
    throw new Error(`A parser copied the file of the ${name} body: the benchmark times finding it in place`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const cpus = os.cpus();
console.log(`Machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores; Node ${process.version}`);
console.log(`Median time per parse over ${rounds} rounds (after ${WARMUP_ROUNDS} warm-up rounds), in ms:\n`);
const header = ["Body", "Size", ...parsers.map(([name]) => name), "library ÷ hand-written"];
const rows: string[][] = [];
for (const [name, { body, type }] of bodies) {
  const times = parsers.map(() => [] as number[]);
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    for (const [k, [, parse]] of parsers.entries()) {
      const started = performance.now();
      parse(body, type);
      const elapsed = performance.now() - started;
      if (round >= WARMUP_ROUNDS) times[k]?.push(elapsed);
    }
  }
  const medians = times.map(median);
  const ratio = (medians[1] as number) / (medians[0] as number);
  rows.push([
    name,
    `${(body.length / MB).toFixed(2)} MB`,
    ...medians.map((ms) => ms.toFixed(4)),
    `${ratio.toFixed(2)}×`,
  ]);
}
console.log(`| ${header.join(" | ")} |`);
console.log(`| ${header.map(() => "---").join(" | ")} |`);
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
