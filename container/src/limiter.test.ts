import { describe, expect, it } from "vitest";
import { CallerGoneError, Limiter, QueueFullError } from "./limiter.ts";

function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("Limiter", () => {
  it("runs at most `limit` tasks at once, the rest in arrival order", async () => {
    const limiter = new Limiter(2);
    const gates = [deferred(), deferred(), deferred()];
    const order: number[] = [];
    const runs = gates.map((gate, i) =>
      limiter.run(async () => {
        order.push(i);
        await gate.promise;
      }),
    );
    await Promise.resolve();
    expect([limiter.active, limiter.queued]).toEqual([2, 1]);
    gates[0]?.resolve();
    await runs[0];
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2]);
    gates[1]?.resolve();
    gates[2]?.resolve();
    await Promise.all(runs);
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
  });

  it("refuses at once when the queue is full, and counts it", async () => {
    const limiter = new Limiter(1, 1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const second = limiter.run(async () => "second");
    await expect(limiter.run(async () => "third")).rejects.toBeInstanceOf(QueueFullError);
    expect(limiter.rejected).toBe(1);
    gate.resolve();
    await first;
    expect(await second).toBe("second");
  });

  it("never starts a task whose caller went away while it waited, and frees its slot", async () => {
    const limiter = new Limiter(1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const controller = new AbortController();
    let started = false;
    const abandoned = limiter.run(async () => {
      started = true;
    }, controller.signal);
    controller.abort();
    gate.resolve();
    await first;
    await expect(abandoned).rejects.toBeInstanceOf(CallerGoneError);
    expect(started).toBe(false);
    expect(limiter.active).toBe(0);
  });

  it("frees the slot when a task throws", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(limiter.active).toBe(0);
  });
});

describe("Limiter with a budget", () => {
  it("runs tasks at once only while their costs fit the budget, in arrival order", async () => {
    const limiter = new Limiter(4, 8, 100);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const costs = [50, 50, 60, 10];
    const runs = gates.map((gate, i) =>
      limiter.run(
        async () => {
          started.push(i);
          await gate.promise;
        },
        undefined,
        costs[i],
      ),
    );
    await Promise.resolve();
    // 50 + 50 fill the budget; 60 waits, and 10 waits behind it rather than overtaking it.
    expect(started).toEqual([0, 1]);
    expect([limiter.active, limiter.queued]).toEqual([2, 2]);
    gates[0]?.resolve();
    await runs[0];
    await Promise.resolve();
    expect(started).toEqual([0, 1]); // 50 + 60 > 100
    gates[1]?.resolve();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2, 3]); // 60 + 10
    gates[2]?.resolve();
    gates[3]?.resolve();
    await Promise.all(runs);
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
  });

  it("runs a task larger than the whole budget alone", async () => {
    const limiter = new Limiter(2, 8, 100);
    const gate = deferred();
    let second = false;
    const big = limiter.run(() => gate.promise, undefined, 300);
    const small = limiter.run(
      async () => {
        second = true;
      },
      undefined,
      1,
    );
    await Promise.resolve();
    expect([limiter.active, second]).toEqual([1, false]);
    gate.resolve();
    await Promise.all([big, small]);
    expect(second).toBe(true);
  });
});
