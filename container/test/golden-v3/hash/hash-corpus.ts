/**
 * The perceptual and difference hashes of the calibration corpus (make_corpus.py), computed as the service
 * computes them: each file decoded by container/src/decode.ts (≤ 512 px, oriented, sRGB or grey, 8-bit), then
 * metrics/hash.ts. Writes hashes.csv beside this script, the input of calibrate.py and of the calibration test.
 *
 *     npx -y -p node@24 -- node --import tsx container/test/golden-v3/hash/hash-corpus.ts /tmp/hash-corpus
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AcceptedFormat } from "../../../../contract/analysis.ts";
import { ANALYSIS_MAX_SIDE_PX } from "../../../src/config.ts";
import { decodePixels, readHeader } from "../../../src/decode.ts";
import { imageHashes } from "../../../src/metrics/hash.ts";

const MAX_INPUT_PIXELS = 50_000_000;
const TIMEOUT_S = 60;

const root = process.argv[2] ?? "/tmp/hash-corpus";
const rows = ["picture,variant,width,height,channels,perceptual,difference"];
for (const picture of readdirSync(root).sort()) {
  for (const file of readdirSync(join(root, picture)).sort()) {
    const bytes = new Uint8Array(readFileSync(join(root, picture, file)));
    const format: AcceptedFormat = file.endsWith(".png") ? "png" : "jpeg";
    const header = await readHeader(bytes, { format, maxInputPixels: MAX_INPUT_PIXELS });
    const { pixels } = await decodePixels(bytes, header, {
      format,
      maxInputPixels: MAX_INPUT_PIXELS,
      maxSidePx: ANALYSIS_MAX_SIDE_PX,
      background: null,
      timeoutS: TIMEOUT_S,
    });
    const { perceptual, difference } = imageHashes(pixels, bytes);
    const variant = file.replace(/\.(png|jpg)$/, "");
    rows.push([picture, variant, pixels.width, pixels.height, pixels.channels, perceptual, difference].join(","));
  }
}
writeFileSync(new URL("./hashes.csv", import.meta.url), `${rows.join("\n")}\n`);
console.log(`${rows.length - 1} images hashed`);
