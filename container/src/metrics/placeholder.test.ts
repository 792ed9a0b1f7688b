import { decode, isBlurhashValid } from "blurhash";
import { describe, expect, it } from "vitest";
import { averageColour } from "../../test/reference/colors.ts";
import { boxDown, placeholder } from "./placeholder.ts";
import { SRGB8_TO_LINEAR } from "./scales.ts";

/** A smooth colourful RGB image: a red ramp across, a green ramp down, blue constant. */
function ramps(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data.set([(255 * x) / (width - 1), (255 * y) / (height - 1), 90], (y * width + x) * 3);
  }
  return { data, width, height, channels: 3 };
}

/** The hash's DC component, as 8-bit sRGB: characters 2–5, base 83. */
function dcOf(hash: string): [number, number, number] {
  const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
  let value = 0;
  for (const c of hash.slice(2, 6)) value = value * 83 + digits.indexOf(c);
  return [value >> 16, (value >> 8) & 255, value & 255];
}

describe("placeholder (BlurHash)", () => {
  it("is a valid 4×3 BlurHash of 28 characters", () => {
    const got = placeholder(ramps(200, 120), null);
    expect(got?.x_components).toBe(4);
    expect(got?.y_components).toBe(3);
    expect(got?.blurhash).toHaveLength(4 + 2 * 4 * 3);
    expect(isBlurhashValid(got?.blurhash ?? "").result).toBe(true);
  });

  it("carries the image's linear-light average colour, and decodes to it", () => {
    const image = ramps(300, 200);
    const hash = placeholder(image, null)?.blurhash ?? "";
    const average = averageColour(image, null) ?? [0, 0, 0];
    for (const [c, v] of dcOf(hash).entries()) expect(Math.abs(v - (average[c] as number))).toBeLessThanOrEqual(1);
    // decode(encode(image)): its mean in linear light is the average colour's, within a few levels.
    const decoded = decode(hash, 64, 48);
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let i = c; i < decoded.length; i += 4) sum += SRGB8_TO_LINEAR[decoded[i] as number] as number;
      const want = SRGB8_TO_LINEAR[average[c] as number] as number;
      expect(Math.abs(sum / (64 * 48) - want), `channel ${c}`).toBeLessThan(0.02);
    }
  });

  it("is one flat colour for a flat image, grey included", () => {
    const flat = placeholder({ data: new Uint8Array(40 * 30).fill(77), width: 40, height: 30, channels: 1 }, null);
    expect(dcOf(flat?.blurhash ?? "")).toEqual([77, 77, 77]);
    // BlurHash's basis is cos(π·i·x / width) from x = 0, not from pixel centres: a flat image gets small AC
    // terms and decodes a little uneven (85 in the corner at 4×4), 77 on average over a decoded image of any size.
    const decoded = decode(flat?.blurhash ?? "", 64, 48);
    let sum = 0;
    for (let i = 0; i < decoded.length; i += 4) sum += decoded[i] as number;
    expect(Math.abs(sum / (64 * 48) - 77)).toBeLessThan(1.5);
  });

  it("boxes down keeping the aspect, each cell its box's mean in linear light", () => {
    const small = boxDown({ data: Uint8Array.of(0, 255, 0, 255), width: 4, height: 1, channels: 1 }, null, 2);
    expect([small?.width, small?.height]).toEqual([2, 1]);
    expect(Array.from(small?.data ?? [])).toEqual([188, 188, 188, 255, 188, 188, 188, 255]);
    const big = boxDown(ramps(512, 341), null, 32);
    expect([big?.width, big?.height]).toEqual([32, 21]);
  });

  it("ignores transparent pixels, and is null when nothing is visible", () => {
    const px = { data: Uint8Array.of(255, 0, 0, 0, 0, 255), width: 2, height: 1, channels: 3 };
    expect(dcOf(placeholder(px, Uint8Array.of(255, 0))?.blurhash ?? "")).toEqual([255, 0, 0]);
    expect(placeholder(px, Uint8Array.of(0, 0))).toBeNull();
  });

  it("takes other component counts", () => {
    const got = placeholder(ramps(64, 64), null, 9, 9);
    expect(got?.blurhash).toHaveLength(4 + 2 * 81);
  });
});
