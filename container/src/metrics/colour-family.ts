/**
 * A colour's family, one of twelve words, from its CIELAB lightness L*, chroma C*ab = √(a² + b²) and hue angle
 * h = atan2(b, a) in degrees. The rule, in order (the thresholds put every CSS named colour where a person
 * would, near enough; docs/METRICS.md repeats it):
 *
 * 1. achromatic when C < 12: black below L 25, white above L 90, grey between; any colour below L 8 is black;
 * 2. otherwise by hue: pink [335°, 20°) (red below L 50), red [20°, 50°) (pink from L 80; brown below L 40
 *    with C < 60), orange [50°, 78°) (brown below L 60), yellow [78°, 110°) (brown below L 45),
 *    green [110°, 165°), cyan [165°, 220°), blue [220°, 310°), purple [310°, 335°).
 *
 * The hue bands follow where sRGB's primaries and secondaries fall in CIELAB: red 40°, orange (#FFA500) 73°,
 * yellow 103°, green 136°, cyan 196°, blue 306°, magenta 328°.
 */
import type { z } from "zod";
import type { ColorFamilySchema } from "../../../contract/schemas.ts";
import type { Lab } from "./lab.ts";

export type ColourFamily = z.infer<typeof ColorFamilySchema>;

/** Below this chroma a colour is black, grey or white. */
export const ACHROMATIC_CHROMA = 12;

/**
 * @example
 * colourFamily(srgbToLab(139, 69, 19)); // "brown" (saddlebrown)
 * colourFamily(srgbToLab(128, 128, 128)); // "grey"
 */
export function colourFamily([l, a, b]: Lab): ColourFamily {
  const c = Math.hypot(a, b);
  if (l < 8) return "black";
  if (c < ACHROMATIC_CHROMA) return l < 25 ? "black" : l > 90 ? "white" : "grey";
  let h = (Math.atan2(b, a) * 180) / Math.PI;
  if (h < 0) h += 360;
  if (h >= 335 || h < 20) return l < 50 ? "red" : "pink";
  if (h < 50) return l >= 80 ? "pink" : l < 40 && c < 60 ? "brown" : "red";
  if (h < 78) return l < 60 ? "brown" : "orange";
  if (h < 110) return l < 45 ? "brown" : "yellow";
  if (h < 165) return "green";
  if (h < 220) return "cyan";
  if (h < 310) return "blue";
  return "purple";
}
