import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundaryOf, filePart } from "./multipart.ts";

/** A body and its Content-Type as a browser or undici would send the form. */
async function encode(form: FormData): Promise<{ body: Uint8Array; type: string }> {
  const res = new Response(form);
  return { body: new Uint8Array(await res.arrayBuffer()), type: res.headers.get("content-type") as string };
}

/** What the platform's own parser finds for `image`: the reference this parser must agree with. */
async function platform(body: Uint8Array, type: string): Promise<{ bytes: Uint8Array; type: string } | null> {
  try {
    const value = (
      await new Request("http://x/", { method: "POST", body, headers: { "content-type": type } }).formData()
    ).get("image");
    return value instanceof File ? { bytes: new Uint8Array(await value.arrayBuffer()), type: value.type } : null;
  } catch {
    return null;
  }
}

describe("boundaryOf", () => {
  it("reads the boundary of multipart/form-data only, quoted or not, any case", () => {
    expect(boundaryOf("multipart/form-data; boundary=abc")).toBe("abc");
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; BOUNDARY="a b:c"')).toBe("a b:c");
    expect(boundaryOf("multipart/mixed; boundary=abc")).toBeNull();
    expect(boundaryOf("application/x-www-form-urlencoded")).toBeNull();
    expect(boundaryOf("multipart/form-data")).toBeNull();
    expect(boundaryOf(`multipart/form-data; boundary=${"x".repeat(71)}`)).toBeNull();
    expect(boundaryOf(undefined)).toBeNull();
  });
});

describe("filePart", () => {
  it("finds the image among other fields, exactly as sent, without copying it", async () => {
    const image = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) % 256);
    const form = new FormData();
    form.append("metrics", "median");
    form.append("image", new Blob([image], { type: "image/png" }), "a.png");
    form.append("note", new Blob(["\r\n--not-the-boundary\r\n"]), "n.txt");
    const { body, type } = await encode(form);
    const part = filePart(body, type, "image");
    expect(part?.type).toBe("image/png");
    expect(part?.bytes).toEqual(image);
    expect(part?.bytes.buffer).toBe(body.buffer);
  });

  it("treats a text field named image, a missing field, and a truncated body as no file", async () => {
    const text = new FormData();
    text.append("image", "not a file");
    const t = await encode(text);
    expect(filePart(t.body, t.type, "image")).toBeNull();
    const other = new FormData();
    other.append("picture", new Blob([Uint8Array.of(1, 2, 3)]), "a.png");
    const o = await encode(other);
    expect(filePart(o.body, o.type, "image")).toBeNull();
    const one = new FormData();
    one.append("image", new Blob([Uint8Array.of(1, 2, 3)], { type: "image/png" }), "a.png");
    const full = await encode(one);
    expect(filePart(full.body.subarray(0, full.body.length - 10), full.type, "image")).toBeNull();
    expect(filePart(full.body, "application/json", "image")).toBeNull();
  });

  it("finds every file the platform's parser finds, the same bytes and type; stricter it is not", async () => {
    const file = (disposition: string, content = "A") =>
      `--b\r\nContent-Disposition: ${disposition}\r\nContent-Type: image/jpeg\r\n\r\n${content}\r\n--b--\r\n`;
    const both = [
      file('form-data; name="image"; filename="x.jpg"'),
      file('form-data; name="image"; filename=""', ""),
      file('form-data; name="image"; filename="x.jpg"', "A\r\nB\r\n--c"),
      '--b\r\nX-Other: y\r\ncontent-disposition: form-data; name="image"; filename="x"\r\n\r\nABC\r\n--b--',
    ];
    for (const text of both) {
      const body = new TextEncoder().encode(text);
      const want = await platform(body, "multipart/form-data; boundary=b");
      expect(want, text).not.toBeNull();
      const got = filePart(body, "multipart/form-data; boundary=b", "image");
      expect(got && { bytes: new Uint8Array(got.bytes), type: got.type }, text).toEqual(want);
    }
    // Hand-written forms the platform refuses but RFC 7578 allows: parameters in any order, unquoted, escaped.
    for (const disposition of ['form-data; filename="x"; name="image"', "form-data; name=image; filename=x"]) {
      const body = new TextEncoder().encode(file(disposition));
      expect(new TextDecoder().decode(filePart(body, "multipart/form-data; boundary=b", "image")?.bytes)).toBe("A");
    }
    // A text field named image is no file, for both.
    const text = new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="image"\r\n\r\nhi\r\n--b--');
    expect(filePart(text, "multipart/form-data; boundary=b", "image")).toBeNull();
  });

  it("never throws on a damaged body, and whenever both parsers find a file they find the same bytes", async () => {
    const image = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
    const form = new FormData();
    form.append("metrics", "brightness");
    form.append("image", new Blob([image], { type: "image/jpeg" }), "p.jpg");
    const { body, type } = await encode(form);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(body.length - 1), fc.constantFrom(0x0d, 0x0a, 0x2d, 0x22, 0x3b, 0x41, 0x00)), {
          maxLength: 6,
        }),
        fc.nat(body.length),
        async (edits, cut) => {
          const damaged = body.slice(0, Math.max(1, cut));
          for (const [at, value] of edits) if (at < damaged.length) damaged[at] = value;
          const got = filePart(damaged, type, "image");
          const want = await platform(damaged, type);
          if (got && want) expect(new Uint8Array(got.bytes)).toEqual(want.bytes);
        },
      ),
      { numRuns: 400 },
    );
  });
});
