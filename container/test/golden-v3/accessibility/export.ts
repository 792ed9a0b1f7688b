/**
 * Writes the pixels of accessibility's golden images for make_golden.py: <dir>/<name>.raw (interleaved 8-bit) and
 * <dir>/manifest.json (size, channels, sha256, and the dominant colours the service finds in it (colors=5; colors=3 for the three-stripe synthetic images), which
 * the script simulates and values.json keeps as the test's input). Nothing of it is committed but values.json.
 *
 *   node --import tsx container/test/golden-v3/accessibility/export.ts /tmp/golden-v3-accessibility
 *   /usr/bin/python3 container/test/golden-v3/accessibility/make_golden.py /tmp/golden-v3-accessibility
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { colourMetrics } from "../../../src/metrics/colour-pass.ts";
import { alphaPlane } from "../../../src/metrics/planes.ts";
import { pixelsHash } from "../../golden-v2/pixels.ts";
import { accessibilityImages } from "./pixels.ts";

const dir = process.argv[2] ?? "/tmp/golden-v3-accessibility";
mkdirSync(dir, { recursive: true });
const manifest: Record<string, unknown> = {};
for (const [name, pixels] of Object.entries(await accessibilityImages())) {
  writeFileSync(join(dir, `${name}.raw`), pixels.data);
  const n = name === "red_green" || name === "blue_yellow" ? 3 : 5;
  const colours = colourMetrics(pixels, alphaPlane(pixels), { colors: n }).colors;
  manifest[name] = {
    width: pixels.width,
    height: pixels.height,
    channels: pixels.channels,
    sha256: pixelsHash(pixels),
    dominant: colours?.dominant.map(({ hex, rgb, percent }) => ({ hex, rgb, percent })),
  };
}
writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(Object.keys(manifest));
