import { describe, expect, it } from "vitest";
import { CallerGoneError, Limiter, QueueFullError, QueueTimeoutError } from "./limiter.ts";

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
    const abandoned = limiter.run(
      async () => {
        started = true;
      },
      { signal: controller.signal },
    );
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
        { cost: costs[i] },
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
    const big = limiter.run(() => gate.promise, { cost: 300 });
    const small = limiter.run(
      async () => {
        second = true;
      },
      { cost: 1 },
    );
    await Promise.resolve();
    expect([limiter.active, second]).toEqual([1, false]);
    gate.resolve();
    await Promise.all([big, small]);
    expect(second).toBe(true);
  });
});

describe("Limiter as a gate (no queue)", () => {
  it("starts a task now or refuses it now, by count and by cost, and counts the refusals", async () => {
    const door = new Limiter(2, 0, 100);
    const [a, b] = [deferred(), deferred()];
    const first = door.run(() => a.promise, { cost: 60 });
    // 60 + 50 > 100: refused at once, though a place is free.
    await expect(door.run(async () => "over budget", { cost: 50 })).rejects.toBeInstanceOf(QueueFullError);
    const second = door.run(() => b.promise, { cost: 40 });
    // Both places taken: refused at once, whatever its cost.
    await expect(door.run(async () => "no place", { cost: 0 })).rejects.toBeInstanceOf(QueueFullError);
    expect([door.active, door.spent, door.queued, door.rejected]).toEqual([2, 100, 0, 2]);
    a.resolve();
    b.resolve();
    await Promise.all([first, second]);
    expect(await door.run(async () => "now it fits", { cost: 100 })).toBe("now it fits");
    expect([door.active, door.spent]).toEqual([0, 0]);
  });
});

describe("Limiter with a wait limit", () => {
  it("refuses a task that waited longer than maxWaitMs, and never starts it", async () => {
    const limiter = new Limiter(1, 8);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    let started = false;
    const late = limiter.run(
      async () => {
        started = true;
      },
      { maxWaitMs: 20 },
    );
    await expect(late).rejects.toBeInstanceOf(QueueTimeoutError);
    expect([limiter.active, limiter.queued, limiter.timedOut]).toEqual([1, 0, 1]);
    gate.resolve();
    await first;
    expect(started).toBe(false);
    expect(limiter.active).toBe(0);
  });

  it("refuses at once a task that must wait and has no time left", async () => {
    const limiter = new Limiter(1, 8);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    await expect(limiter.run(async () => "late", { maxWaitMs: 0 })).rejects.toBeInstanceOf(QueueTimeoutError);
    expect(limiter.queued).toBe(0);
    gate.resolve();
    await first;
    // With a slot free it starts at once, whatever its time left.
    expect(await limiter.run(async () => "free", { maxWaitMs: -5 })).toBe("free");
  });

  it("lets the tasks a timed-out one held back start as soon as it leaves", async () => {
    const limiter = new Limiter(2, 8, 100);
    const gate = deferred();
    const running = limiter.run(() => gate.promise, { cost: 60 });
    // 60 + 50 > 100: the large one waits, and the small one waits behind it (arrival order)...
    const large = limiter.run(async () => "large", { cost: 50, maxWaitMs: 20 });
    const small = limiter.run(async () => "small", { cost: 10 });
    expect(limiter.queued).toBe(2);
    await expect(large).rejects.toBeInstanceOf(QueueTimeoutError);
    // ...and starts once the large one has given up, while the first still runs.
    expect(await small).toBe("small");
    expect(limiter.active).toBe(1);
    gate.resolve();
    await running;
  });

  it("does not time out a task that started in time", async () => {
    const limiter = new Limiter(1, 8);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const second = limiter.run(() => new Promise((resolve) => setTimeout(() => resolve("done"), 40)), {
      maxWaitMs: 30,
    });
    gate.resolve();
    await first;
    // It started before its 30 ms were up and then ran for 40 ms: its answer stands.
    expect(await second).toBe("done");
    expect(limiter.timedOut).toBe(0);
  });
});
