/**
 * Writes the crop golden images' analysed pixels for make_golden.py: <dir>/<name>.raw (interleaved 8-bit) and
 * <dir>/manifest.json (width, height, channels, oriented size, sha256). Nothing of it is committed: values.json
 * keeps each image's sha256, and golden-v3-crop.test.ts checks that it computes on the very same pixels.
 *
 *   npx -y -p node@24 -- node --import tsx container/test/golden-v3/crop/export.ts /tmp/golden-v3-crop
 *   /usr/bin/python3 container/test/golden-v3/crop/make_golden.py /tmp/golden-v3-crop
 */
import { exportGoldenPixels } from "../../golden-v2/pixels.ts";
import { cropGoldenImages, GOLDEN_RATIOS } from "./images.ts";

const golden = await cropGoldenImages();
const dir = process.argv[2] ?? "/tmp/golden-v3-crop";
exportGoldenPixels(
  dir,
  Object.fromEntries(Object.entries(golden).map(([name, { pixels }]) => [name, pixels])),
  (name) => ({ oriented_width: golden[name]?.oriented.width, oriented_height: golden[name]?.oriented.height }),
  (images) => ({ ratios: GOLDEN_RATIOS, images }),
);
console.log(`${Object.keys(golden).length} images in ${dir}`);
