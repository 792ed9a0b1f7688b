/**
 * Writes the analysed pixels of the v2 golden images, and of the photos for the dominant colours' quality claim
 * (`quality_only`: only their k-means error is computed), for make_golden.py: <dir>/<name>.raw (interleaved
 * 8-bit) and <dir>/manifest.json (width, height, channels, sha256). Nothing of it is committed: values.json keeps each
 * image's sha256, and golden-v2.test.ts checks that it computes on the very same pixels.
 *
 *   node --import tsx container/test/golden-v2/export.ts /tmp/golden-v2
 *   /usr/bin/python3 container/test/golden-v2/make_golden.py /tmp/golden-v2
 */
import { exportGoldenPixels, goldenImages, qualityImages } from "./pixels.ts";

const quality = await qualityImages();
const images = { ...(await goldenImages()), ...quality };
console.log(
  exportGoldenPixels(process.argv[2] ?? "/tmp/golden-v2", images, (name) =>
    name in quality ? { quality_only: true } : {},
  ),
);
