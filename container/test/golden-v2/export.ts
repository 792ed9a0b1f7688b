/**
 * Writes the analysed pixels of the v2 golden images, and of the photos for the dominant colours' quality claim
 * (`quality_only`: only their k-means error is computed), for make_golden.py: <dir>/<name>.raw (interleaved
 * 8-bit) and <dir>/manifest.json (width, height, channels, sha256). Nothing of it is committed: values.json keeps each
 * image's sha256, and golden-v2.test.ts checks that it computes on the very same pixels.
 *
 *   node --import tsx container/test/golden-v2/export.ts /tmp/golden-v2
 *   /usr/bin/python3 container/test/golden-v2/make_golden.py /tmp/golden-v2
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PixelImage } from "../../src/metrics/planes.ts";
import { goldenImages, pixelsHash, qualityImages } from "./pixels.ts";

const dir = process.argv[2] ?? "/tmp/golden-v2";
mkdirSync(dir, { recursive: true });
const manifest: Record<
  string,
  { width: number; height: number; channels: number; sha256: string; quality_only?: boolean }
> = {};
const sets: Array<[Record<string, PixelImage>, boolean]> = [
  [await goldenImages(), false],
  [await qualityImages(), true],
];
for (const [images, qualityOnly] of sets) {
  for (const [name, pixels] of Object.entries(images)) {
    writeFileSync(join(dir, `${name}.raw`), pixels.data);
    manifest[name] = {
      width: pixels.width,
      height: pixels.height,
      channels: pixels.channels,
      sha256: pixelsHash(pixels),
      ...(qualityOnly && { quality_only: true }),
    };
  }
}
writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(manifest);
