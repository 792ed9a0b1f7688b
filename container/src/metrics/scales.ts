/**
 * The perceptual scales of `algorithm=`, per pixel, and the planes that let the brightness machinery (one
 * integer per pixel, averaged, its median and histogram counted) run on any of them:
 *
 * - `rec709`: v1's luma, gamma-encoded: 0.2126 R′ + 0.7152 G′ + 0.0722 B′ on 8-bit sRGB, 0–255;
 * - `luminance`: WCAG 2 relative luminance Y, linear light (sRGB decoded with the 0.04045 threshold of IEC
 *   61966-2-1 as WCAG 2.x words it), reported as 100 · Y, 0–100;
 * - `lstar`: CIE 1976 L* (D65 white, Y_n = 1): 116 · f(Y) − 16, f(t) = ∛t above (6/29)³ and t / (3 (6/29)²) + 4/29
 *   below, 0–100.
 *
 * Each plane holds value × `unit` as an integer. For the 0–100 scales the unit is 20 480, so that a histogram
 * bucket (10 on 0–100) is 204 800 = 100 × 2048 units: the same 2048-wide coarse bins that rec709's buckets
 * (25.6 × 10 000 = 125 × 2048) are made of. Pure: no sharp, no I/O.
 */
import type { Algorithm } from "../../../contract/analysis.ts";
import { LUMA_UNIT, lumaPlane, type PixelImage } from "./planes.ts";

/** A scale's full value and its plane's unit (plane value = value × unit, rounded). */
export interface ScaleInfo {
  max: number;
  unit: number;
}

export const SCALES: Readonly<Record<Algorithm, ScaleInfo>> = {
  rec709: { max: 255, unit: LUMA_UNIT },
  luminance: { max: 100, unit: 20_480 },
  lstar: { max: 100, unit: 20_480 },
};

/**
 * sRGB-encoded 0–1 to linear light 0–1 (IEC 61966-2-1, WCAG 2's threshold 0.04045).
 *
 * @example
 * srgbToLinear(0.5); // 0.21404114048223255
 */
export function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/**
 * Linear light 0–1 back to sRGB-encoded 0–1.
 *
 * @example
 * linearToSrgb(0.21404114048223255); // 0.5
 */
export function linearToSrgb(l: number): number {
  return l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055;
}

/**
 * Linear light 0–1 to the nearest 8-bit sRGB value 0–255 (clamped).
 *
 * @example
 * linearToSrgb8(0.2158605); // 128
 */
export function linearToSrgb8(l: number): number {
  return Math.min(255, Math.max(0, Math.round(255 * linearToSrgb(l))));
}

/** Linear light of every 8-bit sRGB value: SRGB8_TO_LINEAR[v] = srgbToLinear(v / 255). */
export const SRGB8_TO_LINEAR: Float64Array = Float64Array.from({ length: 256 }, (_, v) => srgbToLinear(v / 255));

const LSTAR_EPSILON = (6 / 29) ** 3; // 0.008856…
const LSTAR_KAPPA = (29 / 3) ** 3; // 903.296…

/**
 * CIE L* (0–100) of a relative luminance Y (0–1, white Y_n = 1).
 *
 * @example
 * lstarOfY(0.18); // 49.496…
 * lstarOfY(1); // 100
 */
export function lstarOfY(y: number): number {
  return y > LSTAR_EPSILON ? 116 * Math.cbrt(y) - 16 : LSTAR_KAPPA * y;
}

/** Per 8-bit grey level, its luminance and L* plane values (a grey image needs no per-pixel arithmetic). */
const GREY_LUMINANCE = Uint32Array.from({ length: 256 }, (_, v) =>
  Math.round((SRGB8_TO_LINEAR[v] as number) * 100 * SCALES.luminance.unit),
);
const GREY_LSTAR = Uint32Array.from({ length: 256 }, (_, v) =>
  Math.round(lstarOfY(SRGB8_TO_LINEAR[v] as number) * SCALES.lstar.unit),
);

/**
 * Relative luminance × 2 048 000 × 256 per channel value, rounded: the sum of three, + 128, >> 8 is the plane's
 * value, within one unit (1/2 048 000 of Y) of round(Y × 2 048 000), in integer arithmetic (the sum < 2^31).
 */
const FIXED = 256;
const LUM_FIXED = [0.2126, 0.7152, 0.0722].map((k) =>
  Int32Array.from({ length: 256 }, (_, v) =>
    Math.round(k * (SRGB8_TO_LINEAR[v] as number) * 100 * SCALES.luminance.unit * FIXED),
  ),
) as [Int32Array, Int32Array, Int32Array];
/**
 * L* per pixel without a cube root: Y in fixed point (each channel's share × 2^26, rounded: Y within 2·10⁻⁸),
 * its top 16 bits index a table of L* × unit at Y = i / 65 536, and the low 10 bits interpolate linearly. L* is
 * smooth (C¹ at its joint) and the interpolation is within 2·10⁻⁶ of it; with the fixed point's error, within
 * half a plane unit (1/40 960 of L*) everywhere.
 */
const Y_BITS = 26;
const Y_FIXED = [0.2126, 0.7152, 0.0722].map((k) =>
  Int32Array.from({ length: 256 }, (_, v) => Math.round(k * (SRGB8_TO_LINEAR[v] as number) * 2 ** Y_BITS)),
) as [Int32Array, Int32Array, Int32Array];
const LSTAR_STEPS = 65_536;
const FRACTION_BITS = Y_BITS - 16;
const LSTAR_TABLE = Float64Array.from(
  { length: LSTAR_STEPS + 2 },
  (_, i) => lstarOfY(Math.min(1, i / LSTAR_STEPS)) * SCALES.lstar.unit,
);
/** The table's slope per unit of the low bits. */
const LSTAR_SLOPE = Float64Array.from(
  { length: LSTAR_STEPS + 1 },
  (_, i) => ((LSTAR_TABLE[i + 1] as number) - (LSTAR_TABLE[i] as number)) / 2 ** FRACTION_BITS,
);

/**
 * Every pixel's value on `algorithm`'s scale × SCALES[algorithm].unit, as an integer: the plane the brightness
 * family (average, median, histogram, edge bands) is computed from, whatever the scale. rec709 is the exact luma
 * plane (lumaPlane); luminance is round(100 · Y × unit) within one unit, L* within one unit.
 *
 * @example
 * const px = { data: Uint8Array.of(128, 128, 128), width: 1, height: 1, channels: 3 };
 * scalePlane(px, "luminance"); // Uint32Array [442082]: 21.586 × 20 480
 * scalePlane(px, "lstar"); // Uint32Array [1097422]: 53.585 × 20 480
 */
export function scalePlane(pixels: PixelImage, algorithm: Algorithm, out?: Uint32Array): Uint32Array {
  if (algorithm === "rec709") return lumaPlane(pixels, out);
  const { data, width, height, channels } = pixels;
  const count = width * height;
  const plane = out && out.length >= count ? out : new Uint32Array(count);
  if (channels < 3) {
    const table = algorithm === "luminance" ? GREY_LUMINANCE : GREY_LSTAR;
    for (let i = 0, o = 0; i < count; i++, o += channels) plane[i] = table[data[o] as number] as number;
    return plane;
  }
  if (algorithm === "luminance") {
    const [lr, lg, lb] = LUM_FIXED;
    for (let i = 0, o = 0; i < count; i++, o += channels) {
      const sum =
        (lr[data[o] as number] as number) +
        (lg[data[o + 1] as number] as number) +
        (lb[data[o + 2] as number] as number);
      plane[i] = (sum + FIXED / 2) >> 8;
    }
    return plane;
  }
  const [yr, yg, yb] = Y_FIXED;
  const table = LSTAR_TABLE;
  const slope = LSTAR_SLOPE;
  const mask = (1 << FRACTION_BITS) - 1;
  for (let i = 0, o = 0; i < count; i++, o += channels) {
    const y =
      (yr[data[o] as number] as number) + (yg[data[o + 1] as number] as number) + (yb[data[o + 2] as number] as number);
    const k = y >> FRACTION_BITS;
    // + 0.5 and the store's truncation: rounded half up (the value is positive).
    plane[i] = (table[k] as number) + (y & mask) * (slope[k] as number) + 0.5;
  }
  return plane;
}
