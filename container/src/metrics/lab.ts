/**
 * CIELAB and CIEDE2000, for the colour clusters and their names. Pure functions on numbers.
 *
 * - sRGB → CIELAB: IEC 61966-2-1 decoding and matrix (D65), white (0.95047, 1, 1.08883), CIE 1976 L*a*b*.
 * - ΔE00: G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula: implementation notes,
 *   supplementary test data, and mathematical observations", Color Research & Application 30(1), 2005; the
 *   test pairs of its Table 1 are in lab.test.ts.
 */
import { SRGB8_TO_LINEAR } from "./scales.ts";

export type Lab = [l: number, a: number, b: number];

const XN = 0.95047;
const YN = 1;
const ZN = 1.08883;
const EPSILON = (6 / 29) ** 3;

function f(t: number): number {
  return t > EPSILON ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29;
}

/**
 * CIELAB of linear-light sRGB (0–1 each).
 *
 * @example
 * linearToLab(1, 1, 1); // [100, 0, 0] (to 1e-4)
 */
export function linearToLab(r: number, g: number, b: number): Lab {
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / XN;
  const y = (0.2126729 * r + 0.7151522 * g + 0.072175 * b) / YN;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / ZN;
  const fy = f(y);
  return [116 * fy - 16, 500 * (f(x) - fy), 200 * (fy - f(z))];
}

/**
 * CIELAB of an 8-bit sRGB colour.
 *
 * @example
 * srgbToLab(255, 0, 0); // [53.2408, 80.0925, 67.2032]
 */
export function srgbToLab(r: number, g: number, b: number): Lab {
  return linearToLab(SRGB8_TO_LINEAR[r] as number, SRGB8_TO_LINEAR[g] as number, SRGB8_TO_LINEAR[b] as number);
}

/** Linear-light sRGB (0–1, unclamped) of a CIELAB colour: the inverse of `linearToLab`. */
export function labToLinear([l, a, b]: Lab): [number, number, number] {
  const fy = (l + 16) / 116;
  const inv = (t: number) => (t > 6 / 29 ? t ** 3 : 3 * (6 / 29) ** 2 * (t - 4 / 29));
  const x = XN * inv(fy + a / 500);
  const y = YN * inv(fy);
  const z = ZN * inv(fy - b / 200);
  return [
    3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
    -0.969266 * x + 1.8760108 * y + 0.041556 * z,
    0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
  ];
}

const DEG = Math.PI / 180;
const POW25_7 = 25 ** 7;

/** x⁷ by multiplication: `**` with a non-constant base is a call to pow, the slowest step of a ΔE00. */
function pow7(x: number): number {
  const x2 = x * x;
  return x2 * x2 * x2 * x;
}

/** The hue angle h′ in degrees 0–360 of (a′, b); 0 for a neutral. */
function hueDegrees(b: number, a: number): number {
  if (a === 0 && b === 0) return 0;
  const h = Math.atan2(b, a) / DEG;
  return h < 0 ? h + 360 : h;
}

/**
 * The lightness term of ΔE00, ΔL′ / S_L, which depends on the two lightnesses only. ΔE00 is never below its
 * absolute value (the chroma–hue part, ΔC′² + ΔH′² + R_T ΔC′ ΔH′ over their S², is ≥ 0 because |R_T| ≤ 2), so it
 * bounds a search for the nearest colour from below.
 *
 * @example
 * ciede2000LightnessTerm(50, 60); // 9.67… (ΔL′ 10 over S_L 1.034)
 */
export function ciede2000LightnessTerm(l1: number, l2: number): number {
  const m = (l1 + l2) / 2 - 50;
  return (l2 - l1) / (1 + (0.015 * m * m) / Math.sqrt(20 + m * m));
}

/**
 * The CIEDE2000 colour difference ΔE00 (k_L = k_C = k_H = 1), as Sharma, Wu and Dalal (2005) implement it.
 * Hypotenuses and powers are written out (Math.hypot and `**` cost several times a square root); the
 * arithmetic is theirs.
 *
 * @example
 * ciede2000([50, 2.6772, -79.7751], [50, 0, -82.7485]); // 2.0425 (their pair 1)
 */
export function ciede2000([l1, a1, b1]: Lab, [l2, a2, b2]: Lab): number {
  const c1 = Math.sqrt(a1 * a1 + b1 * b1);
  const c2 = Math.sqrt(a2 * a2 + b2 * b2);
  const cBar7 = pow7((c1 + c2) / 2);
  const g = 0.5 * (1 - Math.sqrt(cBar7 / (cBar7 + POW25_7)));
  const a1p = (1 + g) * a1;
  const a2p = (1 + g) * a2;
  const c1p = Math.sqrt(a1p * a1p + b1 * b1);
  const c2p = Math.sqrt(a2p * a2p + b2 * b2);
  const h1p = hueDegrees(b1, a1p);
  const h2p = hueDegrees(b2, a2p);

  const dCp = c2p - c1p;
  let dhp = 0;
  if (c1p * c2p !== 0) {
    dhp = h2p - h1p;
    if (dhp > 180) dhp -= 360;
    else if (dhp < -180) dhp += 360;
  }
  const dHp = 2 * Math.sqrt(c1p * c2p) * Math.sin((dhp / 2) * DEG);

  const cBarP = (c1p + c2p) / 2;
  let hBarP = h1p + h2p;
  if (c1p * c2p !== 0) {
    if (Math.abs(h1p - h2p) <= 180) hBarP = (h1p + h2p) / 2;
    else if (h1p + h2p < 360) hBarP = (h1p + h2p + 360) / 2;
    else hBarP = (h1p + h2p - 360) / 2;
  }
  const t =
    1 -
    0.17 * Math.cos((hBarP - 30) * DEG) +
    0.24 * Math.cos(2 * hBarP * DEG) +
    0.32 * Math.cos((3 * hBarP + 6) * DEG) -
    0.2 * Math.cos((4 * hBarP - 63) * DEG);
  const dh = (hBarP - 275) / 25;
  const dTheta = 30 * Math.exp(-(dh * dh));
  const cBarP7 = pow7(cBarP);
  const rc = 2 * Math.sqrt(cBarP7 / (cBarP7 + POW25_7));
  const sc = 1 + 0.045 * cBarP;
  const sh = 1 + 0.015 * cBarP * t;
  const rt = -Math.sin(2 * dTheta * DEG) * rc;
  const tl = ciede2000LightnessTerm(l1, l2);
  const tc = dCp / sc;
  const th = dHp / sh;
  return Math.sqrt(tl * tl + tc * tc + th * th + rt * tc * th);
}
