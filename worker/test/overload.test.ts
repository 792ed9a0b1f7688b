/**
 * Overload on the whole way, in workerd: the real Worker and Durable Object in front of the real container
 * process. A container whose places are all taken refuses the next analysis from its headers, and the caller
 * gets that refusal as it is (503 `overloaded`, `Retry-After`), not a 504 at the Worker's deadline.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { png, pollUntil, upload } from "./helpers.ts";

const BOUNDARY = "----held-in-workerd";

/** The container process's counters (`GET /health?deep=1`), read from it directly. */
interface Counters {
  analyses_total: number;
  admitted: number;
  rejected: number;
  analysis_concurrency: number;
  queue_limit: number;
}

async function counters(): Promise<Counters> {
  return (await fetch(`${inject("containerUrl")}/health?deep=1`)).json();
}

/** How many bytes of its body a held upload sends only when released. */
const HELD_BYTES = 100_000;

/**
 * An upload sent straight to the container process whose Content-Length is declared but whose body stops after
 * its part headers: it holds one of the container's places until released (the rest of its body sent, and
 * answered: no image in it).
 */
function holdPlace(): { release: () => Promise<void> } {
  const head = new TextEncoder().encode(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const { readable, writable } = new FixedLengthStream(head.length + HELD_BYTES);
  const writer = writable.getWriter();
  const written = writer.write(head);
  const answer = fetch(`${inject("containerUrl")}/v1/image/analysis`, {
    method: "POST",
    body: readable,
    headers: { "Content-Type": `multipart/form-data; boundary=${BOUNDARY}` },
  });
  return {
    release: async () => {
      await written;
      await writer.write(new Uint8Array(HELD_BYTES));
      await writer.close();
      await (await answer).arrayBuffer();
    },
  };
}

/** Polls the container's counters until `check` holds; fails after 5 s. */
async function until(what: string, check: (c: Counters) => boolean): Promise<Counters> {
  return pollUntil(what, counters, check);
}

/** A PNG no other test sends (nothing in a cache can answer it): a numbered test image with a random tail. */
function freshPng(): Uint8Array {
  return new Uint8Array([...png(18), ...crypto.getRandomValues(new Uint8Array(16))]);
}

describe("a container with every place taken", () => {
  const held: Array<{ release: () => Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map((h) => h.release()));
  });

  it("refuses the next analysis from its headers: the caller gets 503 overloaded with Retry-After", async () => {
    const before = await counters();
    // Its places: as many decoding as it has CPUs, plus ANALYSIS_QUEUE_LIMIT receiving or waiting.
    const places = before.analysis_concurrency + before.queue_limit;
    for (let i = 0; i < places; i++) held.push(holdPlace());
    await until("every place taken", (c) => c.admitted === places);

    const res = await upload(freshPng());
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({
      detail: { code: "overloaded", error: "Server is busy, please retry", retry_after_seconds: 1 },
    });
    // The container refused it itself (counted there), and never decoded anything meanwhile.
    const during = await counters();
    expect(during.rejected - before.rejected).toBe(1);
    expect(during.analyses_total).toBe(before.analyses_total);

    // Once the places are free again the same kind of upload is analysed.
    await Promise.all(held.splice(0).map((h) => h.release()));
    await until("every place free again", (c) => c.admitted === 0);
    const after = await upload(freshPng());
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ width: 16, height: 12, cached: false });
  });
});
