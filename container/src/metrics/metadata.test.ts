import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InsightsV3Schemas } from "../../../contract/schemas.ts";
import { ADOBE_PRIMARIES, matrixProfile, SRGB_PARA } from "../../test/icc-profiles.ts";
import { type FileFacts, readFileFacts } from "../decode.ts";
import { anyTransparent, MAX_DELAYS, MAX_STRING_CHARS, type Metadata, metadata } from "./metadata.ts";

const FILES = new URL("../../test/golden-v3/metadata/files/", import.meta.url);
const file = (name: string) => new Uint8Array(readFileSync(new URL(name, FILES)));

/** What readFileFacts says of a plain 8-bit sRGB still without any metadata block. */
function facts(overrides: Partial<FileFacts> = {}): FileFacts {
  return {
    space: "srgb",
    depth: 8,
    channels: 3,
    hasAlpha: false,
    icc: undefined,
    density: 72,
    orientation: 1,
    pages: 1,
    loop: undefined,
    delay: undefined,
    exif: undefined,
    xmp: undefined,
    iptc: undefined,
    ...overrides,
  };
}

/** Bytes that are neither JPEG nor PNG (a WebP's RIFF header): metadata() reads the facts' blocks. */
const WEBP = new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8X");

type Entry = [tag: number, value: string | number | [number, number]];

/**
 * A big-endian TIFF stream (TIFF 6.0 §2) with IFD0's entries and, when given, an Exif IFD and a GPS IFD: strings as
 * ASCII, numbers as LONG, pairs as one RATIONAL. What libvips returns as a WebP's EXIF block.
 */
function tiff(ifd0: Entry[], exif: Entry[] = [], gps: Entry[] = []): Uint8Array {
  const out: number[] = [0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8];
  const u16 = (at: number, v: number) => out.splice(at, 2, (v >> 8) & 255, v & 255);
  const u32 = (at: number, v: number) => out.splice(at, 4, (v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255);
  const writeIfd = (entries: Entry[]): number[] => {
    const start = out.length;
    const slots: number[] = [];
    out.push(...new Array(2 + 12 * entries.length + 4).fill(0));
    u16(start, entries.length);
    entries.forEach(([tag, value], i) => {
      const at = start + 2 + 12 * i;
      u16(at, tag);
      if (typeof value === "string") {
        const bytes = [...new TextEncoder().encode(value), 0];
        u16(at + 2, 2);
        u32(at + 4, bytes.length);
        if (bytes.length <= 4) out.splice(at + 8, bytes.length, ...bytes);
        else {
          u32(at + 8, out.length);
          out.push(...bytes, ...(bytes.length % 2 ? [0] : []));
        }
      } else if (typeof value === "number") {
        u16(at + 2, 4);
        u32(at + 4, 1);
        u32(at + 8, value);
        slots.push(at + 8);
      } else {
        u16(at + 2, 5);
        u32(at + 4, 1);
        u32(at + 8, out.length);
        out.push(0, 0, 0, 0, 0, 0, 0, 0);
        u32(out.length - 8, value[0]);
        u32(out.length - 4, value[1]);
      }
    });
    return slots;
  };
  const pointers: Entry[] = [];
  if (exif.length) pointers.push([0x8769, 0]);
  if (gps.length) pointers.push([0x8825, 0]);
  const entries = [...ifd0, ...pointers].sort((a, b) => a[0] - b[0]);
  const slots = writeIfd(entries);
  const slotOf = (tag: number) => slots[entries.filter(([, v]) => typeof v === "number").findIndex(([t]) => t === tag)];
  if (exif.length) {
    u32(slotOf(0x8769) as number, out.length);
    writeIfd(exif);
  }
  if (gps.length) {
    u32(slotOf(0x8825) as number, out.length);
    writeIfd(gps);
  }
  return Uint8Array.from(out);
}

const read = (exif: Uint8Array, extra: Partial<FileFacts> = {}) => metadata(WEBP, facts({ exif, ...extra }), false);

describe("metadata of a file without any", () => {
  it("is an answer, not an error: exif null, no GPS, no privacy, no profile, no DPI", async () => {
    const answer = await metadata(file("bare.png"), facts(), false);
    expect(answer).toEqual({
      space: "srgb",
      depth: 8,
      channels: 3,
      icc: null,
      dpi: null, // libvips says 72 of a file that states nothing: not used
      orientation: 1,
      pages: 1,
      animation: null,
      alpha: false,
      alpha_used: false,
      exif: null,
      gps: false,
      privacy: [],
    });
    expect(InsightsV3Schemas.metadata.parse(answer)).toEqual(answer);
  });
});

describe("metadata from an EXIF block", () => {
  it("reads the camera facts as stored, with the date's offset, and flags what the file reveals", async () => {
    const exif = tiff(
      [
        [0x010f, "Examplecam"],
        [0x0110, "EX-1"],
        [0x0131, "Editor 2"],
        [0x013b, "Jane Doe"],
      ],
      [
        [0x829a, [1, 250]],
        [0x829d, [28, 10]],
        [0x8827, 800],
        [0x9003, "2024:05:06 07:08:09"],
        [0x9011, "-05:30"],
        [0x920a, [50, 1]],
        [0xa431, "SN1"],
        [0xa434, "EX 50mm"],
      ],
      [
        [0x0002, [48, 1]],
        [0x0004, [2, 1]],
      ],
    );
    const answer = await read(exif);
    expect(answer.exif).toEqual({
      make: "Examplecam",
      model: "EX-1",
      lens: "EX 50mm",
      taken_at: "2024-05-06T07:08:09-05:30",
      exposure_time_s: 0.004,
      f_number: 2.8,
      iso: 800,
      focal_length_mm: 50,
      software: "Editor 2",
    });
    expect(answer.gps).toBe(true);
    expect(answer.privacy).toEqual(["location", "serial_number", "owner"]);
    // Nothing of what it reveals is echoed.
    expect(JSON.stringify(answer)).not.toMatch(/SN1|Jane|48/);
  });

  it("reads the same block with JPEG's Exif header, as libvips gives it for JPEG and AVIF", async () => {
    const body = tiff([[0x010f, "Examplecam"]], [[0xa420, "0123456789abcdef"]]);
    const withHeader = new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0, ...body]);
    const answer = await read(withHeader);
    expect(answer.exif?.make).toBe("Examplecam");
    expect(answer.privacy).toEqual(["unique_id"]);
  });

  it("takes a position only with both latitude and longitude", async () => {
    const answer = await read(tiff([[0x010f, "A"]], [], [[0x0002, [10, 1]]]));
    expect(answer.gps).toBe(false);
    expect(answer.privacy).toEqual([]);
  });

  it("cuts strings at their first NUL, drops control characters, trims, and keeps 256 characters", async () => {
    const long = "é".repeat(400);
    const answer = await read(
      tiff(
        [
          [0x010f, "  Examplecam\0junk after the NUL"],
          [0x0110, `\tEX\u00071\r\n`],
          [0x0131, long],
          [0x013b, "   "],
        ],
        [[0xa430, "\0\0\0"]],
      ),
    );
    expect(answer.exif?.make).toBe("Examplecam");
    expect(answer.exif?.model).toBe("EX1");
    expect(Array.from(answer.exif?.software ?? "")).toHaveLength(MAX_STRING_CHARS);
    expect(answer.privacy).toEqual([]); // a blank Artist and a NUL-only owner reveal nothing
  });

  it("writes DateTimeOriginal as stored, whatever the time zone of the process; unknown dates are null", async () => {
    const date = async (value: string, offset?: string) =>
      (await read(tiff([[0x010f, "A"]], [[0x9003, value], ...(offset ? [[0x9011, offset] as Entry] : [])]))).exif
        ?.taken_at;
    expect(await date("2024:02:29 23:59:59")).toBe("2024-02-29T23:59:59");
    expect(await date("2024:02:29 23:59:59", "+14:00")).toBe("2024-02-29T23:59:59+14:00");
    expect(await date("2024:02:29 23:59:59", "+2:00")).toBe("2024-02-29T23:59:59"); // not an offset
    expect(await date("0000:00:00 00:00:00")).toBeNull();
    expect(await date("    :  :     :  :  ")).toBeNull();
    expect(await date("2024:13:01 00:00:00")).toBeNull();
  });

  it("reports 0/0, 1/0 and 0 exposure values as null, not as NaN, Infinity or 0", async () => {
    const answer = await read(
      tiff(
        [[0x010f, "A"]],
        [
          [0x829a, [0, 0]],
          [0x829d, [1, 0]],
          [0x8827, 0],
        ],
      ),
    );
    expect(answer.exif).toMatchObject({ exposure_time_s: null, f_number: null, iso: null });
    expect(InsightsV3Schemas.metadata.parse(answer)).toEqual(answer);
  });

  it("gives DPI from EXIF in inches or centimetres, none for ResolutionUnit 1", async () => {
    const dpi = async (unit: number) =>
      (
        await read(
          tiff([
            [0x011a, [118, 1]],
            [0x0128, unit],
          ]),
        )
      ).dpi;
    expect(await dpi(2)).toBe(118);
    expect(await dpi(3)).toBe(299.72);
    expect(await dpi(1)).toBeNull();
  });
});

describe("metadata of owners in XMP and IPTC", () => {
  it("flags XMP dc:creator in a PNG and IPTC By-line in a JPEG as owner", async () => {
    for (const name of ["camera.png", "iptc.jpg"]) {
      const bytes = file(name);
      expect((await metadata(bytes, await readFileFacts(bytes), false)).privacy).toEqual(["owner"]);
    }
    expect((await metadata(file("camera.png"), facts(), false)).privacy).toEqual([]); // XMP: libvips' packet only
  });

  it("reads dc:creator from the XMP packet libvips extracted, for formats exifr cannot read", async () => {
    const xmp = new TextEncoder().encode(
      '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>',
    );
    const answer = await metadata(WEBP, facts({ xmp }), false);
    expect(answer.privacy).toEqual(["owner"]);
    expect(answer.exif).toBeNull();
  });
});

describe("metadata's file facts", () => {
  it("describes an animation: loop, each delay and their sum; null for a still", async () => {
    const answer = await metadata(WEBP, facts({ pages: 3, loop: 0, delay: [100, 250, 40] }), false);
    expect(answer.animation).toEqual({ loop: 0, duration_ms: 390, delays_ms: [100, 250, 40] });
    expect((await metadata(WEBP, facts({ pages: 1, loop: 0, delay: [100] }), false)).animation).toBeNull();
  });

  it("lists at most 1000 delays, but counts every frame in the duration", async () => {
    const delay = new Array(1500).fill(20);
    const answer = await metadata(WEBP, facts({ pages: 1500, loop: 1, delay }), false);
    expect(answer.animation?.delays_ms).toHaveLength(MAX_DELAYS);
    expect(answer.animation?.duration_ms).toBe(30_000);
    expect(answer.pages).toBe(1500);
  });

  it("keeps depth, channels and orientation within the schema's bounds", async () => {
    const answer = await metadata(WEBP, facts({ depth: 64, channels: 9, orientation: 12, pages: 0 }), true);
    expect(answer).toMatchObject({ depth: 32, channels: 5, orientation: 8, pages: 1, alpha_used: true });
    expect(() => InsightsV3Schemas.metadata.parse(answer)).not.toThrow();
  });

  it("names the embedded profile by its description, cleaned as every string", async () => {
    const icc = matrixProfile("  Display P3\0", ADOBE_PRIMARIES, SRGB_PARA);
    expect((await metadata(WEBP, facts({ icc }), false)).icc).toBe("Display P3");
    expect((await metadata(WEBP, facts({ icc: Uint8Array.of(1, 2, 3) }), false)).icc).toBeNull();
  });
});

describe("anyTransparent", () => {
  it("is true when some alpha is below 255, for grey + alpha and RGBA; false without alpha", () => {
    expect(anyTransparent({ data: Uint8Array.of(9, 255, 9, 254), width: 2, height: 1, channels: 2 })).toBe(true);
    expect(anyTransparent({ data: Uint8Array.of(9, 255, 9, 255), width: 2, height: 1, channels: 2 })).toBe(false);
    expect(anyTransparent({ data: Uint8Array.of(1, 2, 3, 255, 1, 2, 3, 0), width: 2, height: 1, channels: 4 })).toBe(
      true,
    );
    expect(anyTransparent({ data: Uint8Array.of(0, 0, 0, 0, 0, 0), width: 2, height: 1, channels: 3 })).toBe(false);
  });
});

/** The answer is the schema's, whatever the bytes. */
function valid(answer: Metadata): void {
  expect(InsightsV3Schemas.metadata.parse(answer)).toEqual(answer);
}

describe("metadata on hostile input", () => {
  it("never throws on a damaged or truncated EXIF block in a JPEG, and answers within the schema", async () => {
    const good = file("camera.jpg");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(1200), fc.nat(255)), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 4, max: good.length }),
        async (edits, cut) => {
          const bytes = good.slice(0, cut);
          // Offsets 2–1200 are the APP1 EXIF segment, its IFDs and values (the image data is after them).
          for (const [at, value] of edits) if (at + 2 < bytes.length) bytes[at + 2] = value;
          valid(await metadata(bytes, facts({ exif: bytes.subarray(12) }), false));
        },
      ),
      { numRuns: 250 },
    );
  });

  it("never throws on a damaged TIFF block from libvips (WebP, AVIF)", async () => {
    const good = tiff(
      [
        [0x010f, "Examplecam"],
        [0x013b, "Jane"],
      ],
      [
        [0x829a, [1, 250]],
        [0x9003, "2024:05:06 07:08:09"],
      ],
      [
        [0x0002, [1, 1]],
        [0x0004, [2, 1]],
      ],
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: good.length }),
        async (edits, cut) => {
          const bytes = good.slice(0, cut);
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          valid(await read(bytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("survives an IFD pointing at itself and a string claiming 4 GB", async () => {
    const looped = tiff([[0x010f, "Examplecam"]], [[0x9003, "2024:05:06 07:08:09"]]);
    // The Exif IFD pointer (IFD0's second entry's value) back to IFD0 itself.
    new DataView(looped.buffer).setUint32(8 + 2 + 12 + 8, 8);
    valid(await read(looped));
    const huge = tiff([[0x010f, "Examplecam"]]);
    new DataView(huge.buffer).setUint32(8 + 2 + 4, 0xffffffff); // Make's count
    const answer = await read(huge);
    valid(answer);
    expect(answer.exif?.make ?? null).toBeNull();
  });

  it("does not hang on an AVIF whose box has size 0 (exifr's own box walk would loop forever)", async () => {
    const avif = file("unique.avif");
    const ftypSize = new DataView(avif.buffer, avif.byteOffset).getUint32(0);
    const bad = avif.slice();
    new DataView(bad.buffer).setUint32(ftypSize, 0);
    const answer = await metadata(bad, facts({ exif: undefined }), false);
    expect(answer.exif).toBeNull();
  });

  it("gives exifr's XMP parser only a short dc:creator: a 1 MB hostile packet costs milliseconds", async () => {
    const envelope = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>';
    const creator = "<dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator>";
    const hostile = "<rdf:li>".repeat(128 * 1024); // 1 MB of unclosed tags: seconds for exifr's regular expressions
    const started = performance.now();
    const found = await metadata(WEBP, facts({ xmp: new TextEncoder().encode(envelope + hostile + creator) }), false);
    expect(found.privacy).toEqual(["owner"]);
    const long = `<dc:creator>${hostile}</dc:creator>`;
    const skipped = await metadata(WEBP, facts({ xmp: new TextEncoder().encode(envelope + long) }), false);
    expect(skipped.privacy).toEqual([]); // longer than 8 KB: not read
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("ignores EXIF blocks that are not TIFF, and garbage XMP", async () => {
    valid(await read(new TextEncoder().encode("Exif\0\0not a tiff at all")));
    const answer = await metadata(WEBP, facts({ xmp: new TextEncoder().encode("<x:xmpmeta><<<<") }), false);
    expect(answer.privacy).toEqual([]);
  });
});
