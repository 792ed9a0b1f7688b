/**
 * `compression`: how a file was compressed, read from its bytes, never by re-encoding.
 *
 * - A JPEG's IJG quality, estimated from its quantisation tables (DQT) as ImageMagick does for `identify -format
 *   %Q` (coders/jpeg.c, JPEGSetImageQuality, 6.9.11-60): the sum of every defined table's 64 values and a
 *   "hash" (the sum of four coefficients: the luminance table's natural-order 2 and 53, the chrominance table's
 *   0 and 63; with only table 0, its 2 and 53) are compared with its tables of both at IJG qualities 1–100; the
 *   quality is the first whose hash or sum the file's reaches. Files libjpeg wrote at a standard quality (the
 *   Annex K tables scaled by jpeg_quality_scaling, jcparam.c) are recognised exactly first, with or without its
 *   baseline clamp to 255, so a 16-bit table written by `cjpeg -quality 5` gives 5 where ImageMagick gives
 *   its "unknown" 92.
 * - Chroma subsampling from the frame's sampling factors (T.81 A.1.1), progressive from the frame type.
 * - Blockiness: the mean absolute Rec. 709 luma step across the 8×8 block boundaries over that between
 *   neighbours inside blocks, after the boundary-versus-interior differences of Wang, Sheikh & Bovik, "No-reference
 *   perceptual quality assessment of JPEG compressed images", Proc. IEEE ICIP 2002, I-477–480. Its sums come
 *   from full-resolution.ts's pass, which makes each luma row once for this and noise's Immerkær sum.
 * - Bits per pixel: the file's bits over the pixels of all its frames.
 *
 * Pure: bytes and pixel arrays in, plain objects out.
 */
import type { z } from "zod";
import type { AcceptedFormat } from "../../../contract/analysis.ts";
import type { InsightsV3Schemas } from "../../../contract/schemas.ts";
import { type JpegCoding, readJpegCoding } from "../jpeg-header.ts";
import { roundRatio } from "./exact.ts";
import { type BlockinessSums, type FullResolutionSums, fullResolutionSums } from "./full-resolution.ts";
import type { PixelImage } from "./planes.ts";

export type Compression = z.infer<typeof InsightsV3Schemas.compression>;
export type Subsampling = NonNullable<Compression["subsampling"]>;
export type JpegCompression = Pick<Compression, "quality" | "quality_exact" | "subsampling" | "progressive">;
export type { BlockinessSums };

const NOT_JPEG: JpegCompression = { quality: null, quality_exact: null, subsampling: null, progressive: null };

/** The sample quantisation tables of T.81 Annex K (K.1), natural order, as libjpeg's jcparam.c has them. */
// biome-ignore format: an 8×8 table reads better in rows
export const STD_LUMINANCE_QUANT_TABLE = Uint16Array.of(
  16, 11, 10, 16, 24, 40, 51, 61,
  12, 12, 14, 19, 26, 58, 60, 55,
  14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77,
  24, 35, 55, 64, 81, 104, 113, 92,
  49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
);
// biome-ignore format: an 8×8 table reads better in rows
export const STD_CHROMINANCE_QUANT_TABLE = Uint16Array.of(
  17, 18, 24, 47, 99, 99, 99, 99,
  18, 21, 26, 66, 99, 99, 99, 99,
  24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
);

/**
 * ImageMagick's reference hashes and sums at qualities 1–100 (index quality − 1; index 100 is 0), for files with
 * tables 0 and 1 and for files with table 0 alone (coders/jpeg.c, verbatim).
 */
// biome-ignore format: ImageMagick's layout, ten a row
const IM_HASH_TWO_TABLES = Int32Array.of(
  1020, 1015, 932, 848, 780, 735, 702, 679, 660, 645,
  632, 623, 613, 607, 600, 594, 589, 585, 581, 571,
  555, 542, 529, 514, 494, 474, 457, 439, 424, 410,
  397, 386, 373, 364, 351, 341, 334, 324, 317, 309,
  299, 294, 287, 279, 274, 267, 262, 257, 251, 247,
  243, 237, 232, 227, 222, 217, 213, 207, 202, 198,
  192, 188, 183, 177, 173, 168, 163, 157, 153, 148,
  143, 139, 132, 128, 125, 119, 115, 108, 104, 99,
  94, 90, 84, 79, 74, 70, 64, 59, 55, 49,
  45, 40, 34, 30, 25, 20, 15, 11, 6, 4,
  0,
);
// biome-ignore format: ImageMagick's layout
const IM_SUMS_TWO_TABLES = Int32Array.of(
  32640, 32635, 32266, 31495, 30665, 29804, 29146, 28599, 28104,
  27670, 27225, 26725, 26210, 25716, 25240, 24789, 24373, 23946,
  23572, 22846, 21801, 20842, 19949, 19121, 18386, 17651, 16998,
  16349, 15800, 15247, 14783, 14321, 13859, 13535, 13081, 12702,
  12423, 12056, 11779, 11513, 11135, 10955, 10676, 10392, 10208,
  9928, 9747, 9564, 9369, 9193, 9017, 8822, 8639, 8458,
  8270, 8084, 7896, 7710, 7527, 7347, 7156, 6977, 6788,
  6607, 6422, 6236, 6054, 5867, 5684, 5495, 5305, 5128,
  4945, 4751, 4638, 4442, 4248, 4065, 3888, 3698, 3509,
  3326, 3139, 2957, 2775, 2586, 2405, 2216, 2037, 1846,
  1666, 1483, 1297, 1109, 927, 735, 554, 375, 201,
  128, 0,
);
// biome-ignore format: ImageMagick's layout, ten a row
const IM_HASH_ONE_TABLE = Int32Array.of(
  510, 505, 422, 380, 355, 338, 326, 318, 311, 305,
  300, 297, 293, 291, 288, 286, 284, 283, 281, 280,
  279, 278, 277, 273, 262, 251, 243, 233, 225, 218,
  211, 205, 198, 193, 186, 181, 177, 172, 168, 164,
  158, 156, 152, 148, 145, 142, 139, 136, 133, 131,
  129, 126, 123, 120, 118, 115, 113, 110, 107, 105,
  102, 100, 97, 94, 92, 89, 87, 83, 81, 79,
  76, 74, 70, 68, 66, 63, 61, 57, 55, 52,
  50, 48, 44, 42, 39, 37, 34, 31, 29, 26,
  24, 21, 18, 16, 13, 11, 8, 6, 3, 2,
  0,
);
// biome-ignore format: ImageMagick's layout
const IM_SUMS_ONE_TABLE = Int32Array.of(
  16320, 16315, 15946, 15277, 14655, 14073, 13623, 13230, 12859,
  12560, 12240, 11861, 11456, 11081, 10714, 10360, 10027, 9679,
  9368, 9056, 8680, 8331, 7995, 7668, 7376, 7084, 6823,
  6562, 6345, 6125, 5939, 5756, 5571, 5421, 5240, 5086,
  4976, 4829, 4719, 4616, 4463, 4393, 4280, 4166, 4092,
  3980, 3909, 3835, 3755, 3688, 3621, 3541, 3467, 3396,
  3323, 3247, 3170, 3096, 3021, 2952, 2874, 2804, 2727,
  2657, 2583, 2509, 2437, 2362, 2290, 2211, 2136, 2068,
  1996, 1915, 1858, 1773, 1692, 1620, 1552, 1477, 1398,
  1326, 1251, 1179, 1109, 1031, 961, 884, 814, 736,
  667, 592, 518, 441, 369, 292, 221, 151, 86,
  64, 0,
);

/** The first quality at which ImageMagick starts trusting its table match without the "exact" test. */
const IM_TRUSTED_FROM_QUALITY = 51;

/**
 * libjpeg's `jpeg_quality_scaling` (jcparam.c): the percentage the Annex K tables are scaled by at IJG quality q.
 *
 * @example
 * qualityScaling(50); // 100
 * qualityScaling(10); // 500
 */
export function qualityScaling(quality: number): number {
  const q = Math.min(100, Math.max(1, Math.trunc(quality)));
  return q < 50 ? Math.trunc(5000 / q) : 200 - 2 * q;
}

/**
 * libjpeg's table at IJG quality q (`jpeg_add_quant_table`): each Annex K value × scaling / 100, rounded, at
 * least 1, at most 32 767, and at most 255 when `forceBaseline` (what `jpeg_set_quality(…, TRUE)` and so libvips
 * and sharp write; `cjpeg` clamps only with `-baseline`).
 *
 * @example
 * standardTable(STD_LUMINANCE_QUANT_TABLE, 100, true); // 64 ones
 */
export function standardTable(basic: Uint16Array, quality: number, forceBaseline: boolean): Uint16Array {
  const scale = qualityScaling(quality);
  const max = forceBaseline ? 255 : 32_767;
  const table = new Uint16Array(64);
  for (let i = 0; i < 64; i++) {
    table[i] = Math.min(max, Math.max(1, Math.trunc(((basic[i] as number) * scale + 50) / 100)));
  }
  return table;
}

function equalTables(a: Uint16Array, b: Uint16Array): boolean {
  for (let i = 0; i < 64; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The defined tables are libjpeg's at `quality` (with or without its baseline clamp): 0 luminance, 1 chrominance. */
function isStandardAt(tables: JpegCoding["tables"], quality: number): boolean {
  const [luma, chroma, third, fourth] = tables;
  if (!luma || third || fourth) return false;
  return [true, false].some((baseline) => {
    const [standardLuma, standardChroma] = standardTables(quality, baseline);
    return equalTables(luma, standardLuma) && (!chroma || equalTables(chroma, standardChroma));
  });
}

/** libjpeg's two tables at each quality, baseline-clamped and not, made on first use (400 tables of 128 bytes at most). */
const STANDARD_TABLES = new Map<number, readonly [Uint16Array, Uint16Array]>();
function standardTables(quality: number, baseline: boolean): readonly [Uint16Array, Uint16Array] {
  const key = baseline ? quality : -quality;
  let tables = STANDARD_TABLES.get(key);
  if (!tables) {
    tables = [
      standardTable(STD_LUMINANCE_QUANT_TABLE, quality, baseline),
      standardTable(STD_CHROMINANCE_QUANT_TABLE, quality, baseline),
    ];
    STANDARD_TABLES.set(key, tables);
  }
  return tables;
}

/**
 * ImageMagick's estimate (coders/jpeg.c): the first quality whose reference hash or sum the tables' reach, and
 * whether ImageMagick would report it (it reports below 51 only when both are within the reference, else its
 * default 92). Null without table 0, or when the tables are finer than quality 100's (zeros).
 */
export function imageMagickQuality(tables: JpegCoding["tables"]): { quality: number; reported: boolean } | null {
  const [luma, chroma] = tables;
  if (!luma) return null;
  let sum = 0;
  for (const table of tables) if (table) for (let j = 0; j < 64; j++) sum += table[j] as number;
  const two = chroma !== undefined;
  const hash = two ? IM_HASH_TWO_TABLES : IM_HASH_ONE_TABLE;
  const sums = two ? IM_SUMS_TWO_TABLES : IM_SUMS_ONE_TABLE;
  const qvalue =
    (luma[2] as number) + (luma[53] as number) + (two ? (chroma[0] as number) + (chroma[63] as number) : 0);
  for (let i = 0; i < 100; i++) {
    if (qvalue < (hash[i] as number) && sum < (sums[i] as number)) continue;
    const within = qvalue <= (hash[i] as number) && sum <= (sums[i] as number);
    return { quality: i + 1, reported: within || i + 1 >= IM_TRUSTED_FROM_QUALITY };
  }
  return null;
}

/** The DCT frames with 8-bit samples this reads: baseline, extended, progressive, Huffman or arithmetic. */
const DCT_FRAMES = new Set([0xc0, 0xc1, 0xc2, 0xc9, 0xca]);
const PROGRESSIVE_FRAMES = new Set([0xc2, 0xca]);

/**
 * The chroma subsampling from the sampling factors: Y against Cb and Cr (which must match), as J:a:b names it.
 * One component is 4:0:0; four (CMYK, YCCK) are named like three when the fourth samples like the first.
 *
 * @example
 * subsamplingOf([{ id: 1, h: 2, v: 2, table: 0 }, { id: 2, h: 1, v: 1, table: 1 }, { id: 3, h: 1, v: 1, table: 1 }]); // "4:2:0"
 */
export function subsamplingOf(components: JpegCoding["components"]): Subsampling {
  if (components.length === 1) return "4:0:0";
  if (components.length !== 3 && components.length !== 4) return "other";
  const [y, cb, cr, k] = components as [
    JpegCoding["components"][0],
    JpegCoding["components"][0],
    JpegCoding["components"][0],
    JpegCoding["components"][0] | undefined,
  ];
  if (cb.h !== cr.h || cb.v !== cr.v || (k && (k.h !== y.h || k.v !== y.v))) return "other";
  if (y.h % cb.h !== 0 || y.v % cb.v !== 0) return "other";
  const across = y.h / cb.h;
  const down = y.v / cb.v;
  if (across === 1 && down === 1) return "4:4:4";
  if (across === 2 && down === 1) return "4:2:2";
  if (across === 2 && down === 2) return "4:2:0";
  if (across === 1 && down === 2) return "4:4:0";
  if (across === 4 && down === 1) return "4:1:1";
  return "other";
}

/**
 * A JPEG's quality, subsampling and progressiveness, from its DQT and SOF markers. All null for bytes that are
 * not a JPEG, a JPEG whose header cannot be read, or one that is not an 8-bit DCT image (12-bit, lossless,
 * hierarchical): the decoder, not this, decides whether the file is an image. Never throws.
 *
 * @example
 * jpegCompression(await sharp(raw).jpeg({ quality: 80 }).toBuffer());
 * // { quality: 80, quality_exact: true, subsampling: "4:2:0", progressive: false }
 */
export function jpegCompression(bytes: Uint8Array): JpegCompression {
  const coding = readJpegCoding(bytes);
  if (coding?.precision !== 8 || !DCT_FRAMES.has(coding.frameMarker)) return { ...NOT_JPEG };
  const subsampling = subsamplingOf(coding.components);
  const progressive = PROGRESSIVE_FRAMES.has(coding.frameMarker);
  const estimate = imageMagickQuality(coding.tables);
  if (!estimate) return { quality: null, quality_exact: null, subsampling, progressive };
  if (isStandardAt(coding.tables, estimate.quality)) {
    return { quality: estimate.quality, quality_exact: true, subsampling, progressive };
  }
  // libjpeg's tables at another quality: its 16-bit tables (cjpeg without -baseline, below quality 25), which
  // ImageMagick's reference sums do not reach.
  for (let quality = 1; quality <= 100; quality++) {
    if (isStandardAt(coding.tables, quality)) return { quality, quality_exact: true, subsampling, progressive };
  }
  return { quality: estimate.quality, quality_exact: false, subsampling, progressive };
}

/**
 * The absolute Rec. 709 luma differences (×10 000, exact integers) of every pair of horizontal and vertical
 * neighbours, summed apart for the pairs that straddle a block boundary (columns 8k − 1 and 8k, rows likewise)
 * and the others: full-resolution.ts's one pass (WebAssembly), which makes Immerkær's sum from the same luma rows;
 * its JavaScript reference is container/test/reference/blockiness.ts. Null below 16 × 16 px.
 *
 * @example
 * blockinessSums({ data: new Uint8Array(16 * 16), width: 16, height: 16, channels: 1 });
 * // { boundarySum: 0, boundaryPairs: 32, interiorSum: 0, interiorPairs: 448 }
 */
export function blockinessSums(pixels: PixelImage): BlockinessSums | null {
  return fullResolutionSums(pixels).blockiness;
}

/**
 * Blockiness: the mean absolute luma step across 8×8 block boundaries over the mean step between neighbours
 * inside blocks, both directions pooled (every neighbour pair counts once), rounded half away from zero to 3
 * decimals from the exact integer sums. 1: no blocking; above 1: blocky. `pixels` are the full-resolution image
 * in the file's stored orientation, (0, 0) on the block grid, or their `fullResolutionSums` (one pass with
 * noise's). Null below 16 × 16 px or when the interior is flat.
 *
 * @example
 * blockiness(pixels); // 1.284
 */
export function blockiness(pixels: PixelImage | FullResolutionSums): number | null {
  const sums = "data" in pixels ? blockinessSums(pixels) : pixels.blockiness;
  if (!sums || sums.interiorSum === 0) return null;
  return roundRatio(
    BigInt(sums.boundarySum) * BigInt(sums.interiorPairs),
    BigInt(sums.interiorSum) * BigInt(sums.boundaryPairs),
    3,
  );
}

/**
 * The file's bits over the pixels of all its frames, rounded half away from zero to 3 decimals.
 *
 * @example
 * bitsPerPixel(27_136, 536, 354, 1); // 1.144
 */
export function bitsPerPixel(byteLength: number, width: number, height: number, pages: number): number {
  const pixels = width * height * pages;
  if (!Number.isSafeInteger(pixels) || pixels <= 0) {
    throw new RangeError(
      `Expected a positive whole number of pixels for bits_per_pixel but received ${width} × ${height} × ${pages}`,
    );
  }
  return roundRatio(byteLength * 8, pixels, 3);
}

/**
 * The `compression` insight: the JPEG fields (null for other formats), blockiness when the full-resolution
 * pixels or their `fullResolutionSums` are given (every format), bits per pixel of the file.
 *
 * @example
 * compression(bytes, "jpeg", pixels, { width: 536, height: 354, pages: 1 });
 * // { quality: 90, quality_exact: true, subsampling: "4:2:0", progressive: false, blockiness: 1.012, bits_per_pixel: 2.35 }
 */
export function compression(
  bytes: Uint8Array,
  format: AcceptedFormat,
  fullResolution: PixelImage | FullResolutionSums | null,
  size: { width: number; height: number; pages: number },
): Compression {
  return {
    ...(format === "jpeg" ? jpegCompression(bytes) : NOT_JPEG),
    blockiness: fullResolution ? blockiness(fullResolution) : null,
    bits_per_pixel: bitsPerPixel(bytes.length, size.width, size.height, size.pages),
  };
}
