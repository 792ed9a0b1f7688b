/**
 * Writes the full-resolution pixels of the `noise` golden images for make_golden.py: <dir>/<name>.raw
 * (interleaved 8-bit) and <dir>/manifest.json (width, height, channels, sha256, and the noise added to the
 * synthetic ones). Nothing of it is committed: values.json keeps each image's sha256, and
 * golden-v3-noise.test.ts checks that it computes on the very same pixels.
 *
 *   node --import tsx container/test/golden-v3/noise/export.ts /tmp/golden-v3-noise
 *   /usr/bin/python3 container/test/golden-v3/noise/make_golden.py /tmp/golden-v3-noise
 */
import { exportGoldenPixels } from "../../golden-v2/pixels.ts";
import { ADDED_NOISE, noiseGoldenImages } from "./pixels.ts";

console.log(
  exportGoldenPixels(process.argv[2] ?? "/tmp/golden-v3-noise", await noiseGoldenImages(), (name) =>
    ADDED_NOISE[name] ? { added: ADDED_NOISE[name] } : {},
  ),
);
