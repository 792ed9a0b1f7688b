/**
 * Test images, made with sharp at test time (nothing downloaded), and the reference samples.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import sharp, { type Sharp } from "sharp";

/** The reference service's samples and numbers, beside the project in ../shared. */
export const REFERENCE_DIR = fileURLToPath(new URL("../../../shared/fixtures/reference/", import.meta.url));

export function referenceSample(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${REFERENCE_DIR}${name}`));
}

export type Rgb = readonly [number, number, number];

/**
 * A PNG of one colour.
 *
 * @example
 * await solidPng(8, 8, [255, 255, 255]);
 */
export async function solidPng(width: number, height: number, [r, g, b]: Rgb): Promise<Uint8Array> {
  const png = await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

/** A JPEG of one colour. */
export async function solidJpeg(width: number, height: number, [r, g, b]: Rgb): Promise<Uint8Array> {
  const jpeg = await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .jpeg({ quality: 95 })
    .toBuffer();
  return new Uint8Array(jpeg);
}

/** A multipart body with `bytes` as the `image` field, as a browser or curl would send it. */
export function imageForm(bytes: Uint8Array, type = "image/png", filename = "image.png"): FormData {
  const form = new FormData();
  form.append("image", new Blob([bytes], { type }), filename);
  return form;
}

/**
 * A grey picture stored so that, once its EXIF `orientation` (1–8) is applied, it looks like `picture`:
 * the stored pixels are the inverse of what the orientation does (2 flop, 3 turn 180°, 4 flip, 5 transpose,
 * 6 turn 270°, 7 transverse, 8 turn 90°). Each step is its own sharp pass so that the order is explicit.
 */
export async function orientedPng(picture: Uint8Array, orientation: number): Promise<Uint8Array> {
  const steps: Record<number, Array<(s: Sharp) => Sharp>> = {
    1: [],
    2: [(s) => s.flop()],
    3: [(s) => s.rotate(180)],
    4: [(s) => s.flip()],
    5: [(s) => s.rotate(90), (s) => s.flop()],
    6: [(s) => s.rotate(270)],
    7: [(s) => s.rotate(90), (s) => s.flip()],
    8: [(s) => s.rotate(90)],
  };
  let bytes: Buffer = Buffer.from(picture);
  for (const step of steps[orientation] ?? []) bytes = await step(sharp(bytes)).png().toBuffer();
  return new Uint8Array(await sharp(bytes).withMetadata({ orientation }).png().toBuffer());
}

/** A PNG from one grey value per pixel, row by row. */
export async function greyPng(
  width: number,
  height: number,
  value: (x: number, y: number) => number,
): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * width + x] = value(x, y);
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer(),
  );
}
