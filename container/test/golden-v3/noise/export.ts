/**
 * Writes the full-resolution pixels of the `noise` golden images for make_golden.py: <dir>/<name>.raw
 * (interleaved 8-bit) and <dir>/manifest.json (width, height, channels, sha256, and the noise added to the
 * synthetic ones). Nothing of it is committed: values.json keeps each image's sha256, and
 * golden-v3-noise.test.ts checks that it computes on the very same pixels.
 *
 *   node --import tsx container/test/golden-v3/noise/export.ts /tmp/golden-v3-noise
 *   /usr/bin/python3 container/test/golden-v3/noise/make_golden.py /tmp/golden-v3-noise
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADDED_NOISE, noiseGoldenImages, pixelsHash } from "./pixels.ts";

const dir = process.argv[2] ?? "/tmp/golden-v3-noise";
mkdirSync(dir, { recursive: true });
const manifest: Record<string, object> = {};
for (const [name, pixels] of Object.entries(await noiseGoldenImages())) {
  writeFileSync(join(dir, `${name}.raw`), pixels.data);
  manifest[name] = {
    width: pixels.width,
    height: pixels.height,
    channels: pixels.channels,
    sha256: pixelsHash(pixels),
    ...(ADDED_NOISE[name] && { added: ADDED_NOISE[name] }),
  };
}
writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(manifest);
