/**
 * Writes the crop golden images' analysed pixels for make_golden.py: <dir>/<name>.raw (interleaved 8-bit) and
 * <dir>/manifest.json (width, height, channels, oriented size, sha256). Nothing of it is committed: values.json
 * keeps each image's sha256, and golden-v3-crop.test.ts checks that it computes on the very same pixels.
 *
 *   npx -y -p node@24 -- node --import tsx container/test/golden-v3/crop/export.ts /tmp/golden-v3-crop
 *   /usr/bin/python3 container/test/golden-v3/crop/make_golden.py /tmp/golden-v3-crop
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pixelsHash } from "../../golden-v2/pixels.ts";
import { cropGoldenImages, GOLDEN_RATIOS } from "./images.ts";

const dir = process.argv[2] ?? "/tmp/golden-v3-crop";
mkdirSync(dir, { recursive: true });
const images: Record<string, object> = {};
for (const [name, { pixels, oriented }] of Object.entries(await cropGoldenImages())) {
  writeFileSync(join(dir, `${name}.raw`), pixels.data);
  images[name] = {
    width: pixels.width,
    height: pixels.height,
    channels: pixels.channels,
    oriented_width: oriented.width,
    oriented_height: oriented.height,
    sha256: pixelsHash(pixels),
  };
}
writeFileSync(join(dir, "manifest.json"), `${JSON.stringify({ ratios: GOLDEN_RATIOS, images }, null, 2)}\n`);
console.log(`${Object.keys(images).length} images in ${dir}`);
