import fc from "fast-check";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  ADOBE_PRIMARIES,
  greyProfile,
  matrixProfile,
  SRGB_PARA,
  SRGB_PRIMARIES,
  SRGB_TABLE,
  srgbDecode,
} from "../test/icc-profiles.ts";
import { type ProfileKind, profileDescription, readProfile, toSrgb } from "./icc.ts";

/** What an embedded profile is, for decoding: "srgb" when converting from it to sRGB would change nothing. */
function profileKind(profile: Uint8Array | undefined): ProfileKind {
  return readProfile(profile).kind;
}

/** libvips' own built-in profile ("srgb", "p3", "cmyk"), as sharp embeds it. */
async function builtinProfile(name: string): Promise<Uint8Array> {
  const jpeg = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#808080" } })
    .withIccProfile(name)
    .jpeg()
    .toBuffer();
  return new Uint8Array((await sharp(jpeg).metadata()).icc as Buffer);
}

describe("profileKind", () => {
  it("recognises sRGB as libvips, HP/Microsoft (table) and Apple/Google (parametric) write it", async () => {
    expect(profileKind(await builtinProfile("srgb"))).toBe("srgb");
    expect(profileKind(matrixProfile("sRGB IEC61966-2.1", SRGB_PRIMARIES, SRGB_TABLE))).toBe("srgb");
    expect(profileKind(matrixProfile("sRGB", SRGB_PRIMARIES, SRGB_PARA))).toBe("srgb");
  });

  it("trusts no name: a profile called sRGB with Adobe RGB primaries, or a 2.2 gamma, is converted", () => {
    expect(profileKind(matrixProfile("sRGB IEC61966-2.1", ADOBE_PRIMARIES, SRGB_TABLE))).toBe("matrix");
    expect(profileKind(matrixProfile("sRGB IEC61966-2.1", SRGB_PRIMARIES, { kind: "gamma", gamma: 2.2 }))).toBe(
      "matrix",
    );
    // Rec. 709's camera curve on sRGB's primaries: same colorants, another curve.
    const rec709 = (v: number) => (v < 0.081 ? v / 4.5 : ((v + 0.099) / 1.099) ** (1 / 0.45));
    expect(profileKind(matrixProfile("sRGB", SRGB_PRIMARIES, { kind: "table", entries: 1024, fn: rec709 }))).toBe(
      "matrix",
    );
  });

  it("converts Display P3 and grey profiles itself, and leaves CMYK and lookup-table profiles to libvips", async () => {
    expect(profileKind(await builtinProfile("p3"))).toBe("matrix");
    expect(profileKind(greyProfile("Gray Gamma 2.2", { kind: "gamma", gamma: 2.2 }))).toBe("matrix");
    expect(profileKind(await builtinProfile("cmyk"))).toBe("other");
  });

  it("builds Display P3's matrix: P3's pure red is beyond sRGB (clipped), its white is sRGB's white", async () => {
    const profile = readProfile(await builtinProfile("p3"));
    if (profile.kind !== "matrix") throw new Error("Expected a matrix profile");
    const pixels = { data: Uint8Array.of(255, 0, 0, 255, 255, 255, 0, 0, 0), width: 3, height: 1, channels: 3 };
    toSrgb(pixels, profile.conversion);
    expect([...pixels.data]).toEqual([255, 0, 0, 255, 255, 255, 0, 0, 0]);
    // P3's mid green is a less saturated green in sRGB: red and blue lifted from 0.
    const green = { data: Uint8Array.of(60, 160, 60), width: 1, height: 1, channels: 3 };
    toSrgb(green, profile.conversion);
    expect(green.data[0]).toBeLessThan(60);
    expect(green.data[1]).toBeGreaterThan(160);
  });

  it("calls a slightly wrong curve or colorant no sRGB, and anything malformed other, without throwing", () => {
    const off = { kind: "table", entries: 1024, fn: (x: number) => srgbDecode(x) * 1.01 } as const;
    expect(profileKind(matrixProfile("sRGB", SRGB_PRIMARIES, off))).toBe("matrix");
    const shifted = { ...SRGB_PRIMARIES, r: [0.4371, 0.2225, 0.0139] as const };
    expect(profileKind(matrixProfile("sRGB", shifted, SRGB_TABLE))).toBe("matrix");
    const good = matrixProfile("sRGB", SRGB_PRIMARIES, SRGB_TABLE);
    expect(profileKind(good.subarray(0, 200))).toBe("other");
    expect(profileKind(undefined)).toBe("other");
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(128, 1_000_000); // a tag count far past the end
    expect(profileKind(lying)).toBe("other");
  });
});

describe("profileKind on damaged profiles", () => {
  it("never throws, whatever the bytes", () => {
    const good = matrixProfile("sRGB", SRGB_PRIMARIES, SRGB_PARA);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 20 }),
        fc.nat(good.length),
        (edits, cut) => {
          const bytes = good.slice(0, Math.max(cut, 1));
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          expect(["srgb", "matrix", "other"]).toContain(profileKind(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** A version-4 profile whose only tag is a `desc` of type `mluc` with these records (language, country, text). */
function mlucProfile(records: [string, string, string][]): Uint8Array {
  const strings = records.map(([, , text]) =>
    Uint8Array.from([...text].flatMap((c) => [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 255])),
  );
  const tagSize = 16 + 12 * records.length + strings.reduce((sum, s) => sum + s.length, 0);
  const profile = new Uint8Array(132 + 12 + tagSize);
  const view = new DataView(profile.buffer);
  const ascii = (at: number, text: string) =>
    profile.set(
      [...text].map((c) => c.charCodeAt(0)),
      at,
    );
  view.setUint32(0, profile.length);
  ascii(36, "acsp");
  view.setUint32(128, 1);
  ascii(132, "desc");
  view.setUint32(136, 144);
  view.setUint32(140, tagSize);
  ascii(144, "mluc");
  view.setUint32(152, records.length);
  view.setUint32(156, 12);
  let offset = 16 + 12 * records.length;
  records.forEach(([language, country], i) => {
    const at = 144 + 16 + 12 * i;
    ascii(at, language + country);
    view.setUint32(at + 4, (strings[i] as Uint8Array).length);
    view.setUint32(at + 8, offset);
    profile.set(strings[i] as Uint8Array, 144 + offset);
    offset += (strings[i] as Uint8Array).length;
  });
  return profile;
}

describe("profileDescription", () => {
  it("reads a version-2 textDescriptionType and libvips' own profiles", async () => {
    expect(profileDescription(matrixProfile("sRGB IEC61966-2.1", SRGB_PRIMARIES, SRGB_TABLE))).toBe(
      "sRGB IEC61966-2.1",
    );
    expect(profileDescription(await builtinProfile("p3"))).toMatch(/P3/);
  });

  it("reads a version-4 mluc: en-US first, else English, else the first record", () => {
    expect(
      profileDescription(
        mlucProfile([
          ["de", "DE", "Farbraum"],
          ["en", "US", "Display P3"],
        ]),
      ),
    ).toBe("Display P3");
    expect(
      profileDescription(
        mlucProfile([
          ["fr", "FR", "Espace"],
          ["en", "GB", "Colour space"],
        ]),
      ),
    ).toBe("Colour space");
    expect(
      profileDescription(
        mlucProfile([
          ["fr", "FR", "Espace"],
          ["de", "DE", "Farbraum"],
        ]),
      ),
    ).toBe("Espace");
    expect(profileDescription(mlucProfile([]))).toBeUndefined();
  });

  it("is undefined without a profile or a description, and never throws on damaged bytes", () => {
    expect(profileDescription(undefined)).toBeUndefined();
    expect(profileDescription(new Uint8Array(200))).toBeUndefined();
    const good = mlucProfile([["en", "US", "Display P3"]]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 12 }),
        fc.nat(good.length),
        (edits, cut) => {
          const bytes = good.slice(0, cut);
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const description = profileDescription(bytes);
          expect(description === undefined || typeof description === "string").toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
