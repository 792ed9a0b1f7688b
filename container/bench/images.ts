/**
 * The benchmark's images: the reference service's samples as they are, and photos made from sample 3 at the
 * sizes people send most (320×240 to 600×450, with and without an embedded sRGB profile, as cameras and phones
 * write them), a 6-megapixel baseline photo and a baseline re-encode of sample 3. Made in code at run time, so
 * no large binary is committed. `npm run bench -- --write-images DIR` writes them out for
 * ../shared/tools/perf-vs-reference.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp, { type Sharp } from "sharp";
import { matrixProfile, SRGB_PRIMARIES, SRGB_TABLE } from "../test/icc-profiles.ts";
import { referenceSample } from "../test/images.ts";

export interface BenchImage {
  name: string;
  bytes: Uint8Array;
}

const SAMPLE3 = "sample3-color-5000x3330.jpg";

/**
 * @example
 * for (const { name, bytes } of await benchImages()) console.log(name, bytes.length);
 */
export async function benchImages(): Promise<BenchImage[]> {
  const photo = referenceSample(SAMPLE3);
  // HP/Microsoft's "sRGB IEC61966-2.1" shape (a 1024-entry curve), as most cameras embed it; sharp embeds a
  // profile from a file.
  const hpProfile = join(tmpdir(), `bench-srgb-${process.pid}.icc`);
  writeFileSync(hpProfile, matrixProfile("sRGB IEC61966-2.1", SRGB_PRIMARIES, SRGB_TABLE));
  const jpeg = async (pipeline: Sharp, quality: number) =>
    new Uint8Array(await pipeline.jpeg({ quality, mozjpeg: false }).toBuffer());
  try {
    return [
      { name: "sample1-536x354-grayscale.jpg", bytes: referenceSample("sample1-536x354-grayscale.jpg") },
      { name: "sample2-536x354.jpg", bytes: referenceSample("sample2-536x354.jpg") },
      { name: "photo-320x240.jpg", bytes: await jpeg(sharp(photo).resize(320, 240), 85) },
      {
        name: "photo-320x240-srgb.jpg",
        bytes: await jpeg(sharp(photo).resize(320, 240).withIccProfile("srgb"), 85),
      },
      // A crop, so that the two sizes are not the same picture.
      {
        name: "photo-600x450.jpg",
        bytes: await jpeg(
          sharp(photo).extract({ left: 1200, top: 600, width: 2400, height: 1800 }).resize(600, 450),
          88,
        ),
      },
      {
        name: "photo-600x450-srgb.jpg",
        bytes: await jpeg(
          sharp(photo)
            .extract({ left: 1200, top: 600, width: 2400, height: 1800 })
            .resize(600, 450)
            .withIccProfile(hpProfile),
          88,
        ),
      },
      { name: "photo-6mp-baseline.jpg", bytes: await jpeg(sharp(photo).resize(3000, 2000), 90) },
      { name: SAMPLE3, bytes: photo },
      { name: "sample3-baseline.jpg", bytes: await jpeg(sharp(photo), 90) },
    ];
  } finally {
    rmSync(hpProfile, { force: true });
  }
}

/**
 * Writes every bench image to `dir`, for perf-vs-reference, and returns their paths in bench order.
 *
 * @example
 * const paths = await writeBenchImages("/tmp/bench-images");
 */
export async function writeBenchImages(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const { name, bytes } of await benchImages()) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    paths.push(path);
  }
  return paths;
}
