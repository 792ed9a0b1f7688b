/**
 * Test images, made with sharp at test time (nothing downloaded), and the reference samples.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

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
