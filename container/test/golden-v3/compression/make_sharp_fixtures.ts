/**
 * The two fixtures made with sharp rather than cjpeg (make_golden.py then reads them like the others): mozjpeg's
 * default tables (sharp's `mozjpeg: true`, quant table 3, N. Robidoux's), which are not libjpeg's, at qualities 50
 * and 80, on a 64×48 gradient.
 *
 *     node container/test/golden-v3/compression/make_sharp_fixtures.ts
 */
import { writeFileSync } from "node:fs";
import sharp from "sharp";

const raw = Buffer.alloc(64 * 48 * 3);
for (let i = 0; i < raw.length; i++) raw[i] = (i * 13) % 251;
for (const quality of [50, 80]) {
  const jpeg = await sharp(raw, { raw: { width: 64, height: 48, channels: 3 } })
    .jpeg({ quality, mozjpeg: true })
    .toBuffer();
  writeFileSync(new URL(`./jpeg/sharp-mozjpeg-q${quality}.jpg`, import.meta.url), jpeg);
}
