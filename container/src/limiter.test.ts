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

describe("Limiter with priorities", () => {
  /** A task that records its start under `name` and runs until its gate opens. */
  function gated(started: string[], name: string) {
    const gate = deferred();
    return {
      gate,
      task: async () => {
        started.push(name);
        await gate.promise;
        return name;
      },
    };
  }

  it("starts every waiting interactive task before any waiting batch one, whatever their arrival order", async () => {
    const limiter = new Limiter(1);
    const started: string[] = [];
    const running = gated(started, "running");
    const runs = [limiter.run(running.task)];
    const quick = (name: string) => async () => {
      started.push(name);
      return name;
    };
    runs.push(limiter.run(quick("batch-1"), { priority: "batch" }));
    runs.push(limiter.run(quick("batch-2"), { priority: "batch" }));
    runs.push(limiter.run(quick("interactive-1")));
    runs.push(limiter.run(quick("interactive-2"), { priority: "interactive" }));
    expect([limiter.active, limiter.queued, limiter.queuedBatch]).toEqual([1, 4, 2]);
    // One slot: when it comes free, the interactive tasks go first, then the batch ones, each in arrival order.
    running.gate.resolve();
    await Promise.all(runs);
    expect(started).toEqual(["running", "interactive-1", "interactive-2", "batch-1", "batch-2"]);
  });

  it("runs at most batchLimit batch tasks at once, on free slots while no interactive task waits", async () => {
    const limiter = new Limiter(3, 8, Number.POSITIVE_INFINITY, 2);
    const started: string[] = [];
    const batch = ["b1", "b2", "b3"].map((name) => gated(started, name));
    const batchRuns = batch.map(({ task }) => limiter.run(task, { priority: "batch" }));
    await Promise.resolve();
    // Two batch tasks take two of the three slots (nothing else waits); the third waits for a batch slot...
    expect(started).toEqual(["b1", "b2"]);
    expect([limiter.active, limiter.activeBatch, limiter.queued, limiter.queuedBatch]).toEqual([2, 2, 1, 1]);
    // ...and does not hold back an interactive task, which takes the slot left for it at once.
    const interactive = gated(started, "i1");
    const interactiveRun = limiter.run(interactive.task);
    await Promise.resolve();
    expect(started).toEqual(["b1", "b2", "i1"]);
    expect([limiter.active, limiter.activeBatch]).toEqual([3, 2]);
    // A batch slot comes free: the waiting batch task takes it.
    batch[0]?.gate.resolve();
    await batchRuns[0];
    await Promise.resolve();
    expect(started).toEqual(["b1", "b2", "i1", "b3"]);
    expect([limiter.active, limiter.activeBatch, limiter.queued]).toEqual([3, 2, 0]);
    for (const { gate } of [...batch, interactive]) gate.resolve();
    await Promise.all([...batchRuns, interactiveRun]);
    expect([limiter.active, limiter.activeBatch]).toEqual([0, 0]);
  });

  it("puts interactive tasks first in the budget too: a waiting batch task holds back none, a waiting interactive one every batch one", async () => {
    const limiter = new Limiter(4, 8, 100);
    const started: string[] = [];
    const running = gated(started, "running");
    const runs = [limiter.run(running.task, { cost: 60 })];
    // 60 + 50 > 100: the batch task waits for room...
    const big = gated(started, "big-batch");
    runs.push(limiter.run(big.task, { cost: 50, priority: "batch" }));
    // ...and an interactive task that fits (60 + 30) starts at once rather than behind it.
    const fits = gated(started, "fits");
    runs.push(limiter.run(fits.task, { cost: 30 }));
    await Promise.resolve();
    expect(started).toEqual(["running", "fits"]);
    // 90 + 50 > 100: this interactive task waits for room, and the small batch task that would fit waits behind it.
    const large = gated(started, "large");
    runs.push(limiter.run(large.task, { cost: 50 }));
    const small = gated(started, "small-batch");
    runs.push(limiter.run(small.task, { cost: 5, priority: "batch" }));
    await Promise.resolve();
    expect(started).toEqual(["running", "fits"]);
    // 60 freed: the interactive one starts (30 + 50); the big batch one still does not fit, the small one after it.
    running.gate.resolve();
    await runs[0];
    await Promise.resolve();
    expect(started).toEqual(["running", "fits", "large"]);
    expect([limiter.spent, limiter.queuedBatch]).toEqual([80, 2]);
    for (const task of [fits, large, big, small]) task.gate.resolve();
    await Promise.all(runs);
    expect(started).toEqual(["running", "fits", "large", "big-batch", "small-batch"]);
  });

  it("gives an interactive task that finds the queue full the place of the batch task that arrived last", async () => {
    const limiter = new Limiter(1, 2);
    const started: string[] = [];
    const running = gated(started, "running");
    const first = limiter.run(running.task);
    const early = limiter.run(gated(started, "batch-early").task, { priority: "batch" });
    const late = limiter.run(gated(started, "batch-late").task, { priority: "batch" });
    const interactive = gated(started, "interactive");
    const served = limiter.run(interactive.task);
    // The queue holds 2: the last batch task to arrive is refused, and the interactive one waits in its place.
    await expect(late).rejects.toBeInstanceOf(QueueFullError);
    expect([limiter.queued, limiter.queuedBatch, limiter.rejected]).toEqual([2, 1, 1]);
    // A second interactive task takes the other batch task's place; a third finds no batch task to replace.
    const second = gated(started, "interactive-2");
    const servedToo = limiter.run(second.task);
    await expect(early).rejects.toBeInstanceOf(QueueFullError);
    await expect(limiter.run(async () => "third")).rejects.toBeInstanceOf(QueueFullError);
    expect([limiter.queued, limiter.queuedBatch, limiter.rejected]).toEqual([2, 0, 3]);
    // A batch task that finds the queue full is refused, as before.
    await expect(limiter.run(async () => "batch", { priority: "batch" })).rejects.toBeInstanceOf(QueueFullError);
    running.gate.resolve();
    interactive.gate.resolve();
    second.gate.resolve();
    expect(await Promise.all([first, served, servedToo])).toEqual(["running", "interactive", "interactive-2"]);
    expect(started).toEqual(["running", "interactive", "interactive-2"]);
  });

  it("holds batch tasks, not interactive ones, through a rest, and starts them when it ends (even if its timer fires early)", async () => {
    const limiter = new Limiter(2);
    const started: string[] = [];
    const quick = (name: string) => async () => {
      started.push(`${name}@${Math.round(performance.now() - t0)}`);
      return name;
    };
    const t0 = performance.now();
    limiter.restBatch(0.4); // less than a millisecond: a timer may fire before it is over
    limiter.restBatch(60);
    limiter.restBatch(10); // a shorter rest does not cut the longer one
    const batch = limiter.run(quick("batch"), { priority: "batch" });
    const interactive = limiter.run(quick("interactive"));
    await interactive;
    expect(started).toEqual([expect.stringMatching(/^interactive@/)]);
    expect(limiter.queuedBatch).toBe(1);
    await batch;
    const [, batchStart] = started;
    expect(Number(batchStart?.split("@")[1])).toBeGreaterThanOrEqual(59);
    // A rest of a fraction of a millisecond, alone: its waiting batch task still starts.
    const other = new Limiter(1);
    other.restBatch(0.3);
    await expect(other.run(async () => "late", { priority: "batch" })).resolves.toBe("late");
  });
});
