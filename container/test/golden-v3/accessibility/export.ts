/**
 * Writes the pixels of accessibility's golden images for make_golden.py: <dir>/<name>.raw (interleaved 8-bit) and
 * <dir>/manifest.json (size, channels, sha256, and the dominant colours the service finds in it (colors=5; colors=3 for the three-stripe synthetic images), which
 * the script simulates and values.json keeps as the test's input). Nothing of it is committed but values.json.
 *
 *   node --import tsx container/test/golden-v3/accessibility/export.ts /tmp/golden-v3-accessibility
 *   /usr/bin/python3 container/test/golden-v3/accessibility/make_golden.py /tmp/golden-v3-accessibility
 */
import { colourMetrics } from "../../../src/metrics/colour-pass.ts";
import { alphaPlane } from "../../../src/metrics/planes.ts";
import { exportGoldenPixels } from "../../golden-v2/pixels.ts";
import { accessibilityImages } from "./pixels.ts";

const manifest = exportGoldenPixels(
  process.argv[2] ?? "/tmp/golden-v3-accessibility",
  await accessibilityImages(),
  (name, pixels) => {
    const n = name === "red_green" || name === "blue_yellow" ? 3 : 5;
    const colours = colourMetrics(pixels, alphaPlane(pixels), { colors: n }).colors;
    return { dominant: colours?.dominant.map(({ hex, rgb, percent }) => ({ hex, rgb, percent })) };
  },
);
console.log(Object.keys(manifest));
