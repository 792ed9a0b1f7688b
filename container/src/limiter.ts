/**
 * A counting semaphore with a bounded queue: at most `limit` tasks at once, at most `queueLimit` waiting in
 * arrival order, and a full queue refused at once (`QueueFullError`) rather than letting latency and memory
 * grow without bound. Decoding is CPU and memory bound: running more at once than the CPU can serve only adds
 * both. With `queueLimit` 0 it is a gate: a task starts now or is refused now (the container's admission).
 *
 * Two priorities: an `interactive` task (a caller at the other end) always starts before any `batch` one (a
 * job's item) that waits, and at most `batchLimit` batch tasks run at once, so with `batchLimit` below `limit`
 * a slot is always left for interactive work. A batch task still takes a free slot within that cap when no
 * interactive task waits: the slots do not idle while batch work waits.
 */
export class QueueFullError extends Error {
  constructor() {
    super("the queue is full");
    this.name = "QueueFullError";
  }
}

/** Thrown instead of starting a task that waited longer than its `maxWaitMs`: the caller is better told now. */
export class QueueTimeoutError extends Error {
  constructor(waitedMs: number) {
    super(`the task waited ${Math.round(waitedMs)} ms without starting`);
    this.name = "QueueTimeoutError";
  }
}

/** Thrown instead of starting a task whose caller has gone away while it waited. */
export class CallerGoneError extends Error {
  constructor() {
    super("the caller went away before the task started");
    this.name = "CallerGoneError";
  }
}

/** Who waits for a task: a caller at the other end, or a job's consumer that can come back later. */
export type Priority = "interactive" | "batch";

export interface RunOptions {
  /** Aborted while the task waits: it is never started (`CallerGoneError`). */
  signal?: AbortSignal;
  /** What the task costs against the budget while it runs (e.g. bytes of memory); 0 by default. */
  cost?: number;
  /** How long the task may wait for its turn, in milliseconds; past it, `QueueTimeoutError`. No limit by default. */
  maxWaitMs?: number;
  /** `batch` waits behind every interactive task and runs on at most `batchLimit` slots; `interactive` by default. */
  priority?: Priority;
}

interface Waiter {
  cost: number;
  batch: boolean;
  start: () => void;
  refuse: (error: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class Limiter {
  readonly limit: number;
  readonly queueLimit: number;
  /** What the tasks running at once may cost together (e.g. bytes of memory); a task alone may exceed it. */
  readonly budget: number;
  /** How many batch tasks may run at once (at most `limit`). */
  readonly batchLimit: number;
  #active = 0;
  #activeBatch = 0;
  #spent = 0;
  #rejected = 0;
  #timedOut = 0;
  /** Interactive tasks waiting, in arrival order; they start before any batch task. */
  readonly #waiting: Waiter[] = [];
  /** Batch tasks waiting, in arrival order. */
  readonly #waitingBatch: Waiter[] = [];
  /** No batch task starts before this (`performance.now()` milliseconds): see `restBatch`. */
  #batchRestUntil = 0;
  #batchRestTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    limit: number,
    queueLimit = Number.POSITIVE_INFINITY,
    budget = Number.POSITIVE_INFINITY,
    batchLimit = limit,
  ) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`Expected a positive integer for limit but received ${limit}`);
    if (!Number.isSafeInteger(batchLimit) || batchLimit < 1)
      throw new RangeError(`Expected a positive integer for batchLimit but received ${batchLimit}`);
    this.limit = limit;
    this.queueLimit = queueLimit;
    this.budget = budget;
    this.batchLimit = Math.min(batchLimit, limit);
  }

  /** Tasks running now, batch ones included. */
  get active(): number {
    return this.#active;
  }

  /** Batch tasks running now. */
  get activeBatch(): number {
    return this.#activeBatch;
  }

  /** Tasks waiting now, batch ones included. */
  get queued(): number {
    return this.#waiting.length + this.#waitingBatch.length;
  }

  /** Batch tasks waiting now. */
  get queuedBatch(): number {
    return this.#waitingBatch.length;
  }

  /** What the running tasks cost together now. */
  get spent(): number {
    return this.#spent;
  }

  /** How many tasks were refused because the queue was full. */
  get rejected(): number {
    return this.#rejected;
  }

  /** How many tasks were refused because they waited longer than their `maxWaitMs`. */
  get timedOut(): number {
    return this.#timedOut;
  }

  /**
   * A task of `cost` may start now: a slot is free (for a batch task, one within `batchLimit`) and it fits the
   * budget (or nothing else is running).
   */
  #fits(cost: number, batch: boolean): boolean {
    return (
      this.#active < this.limit &&
      (!batch || (this.#activeBatch < this.batchLimit && performance.now() >= this.#batchRestUntil)) &&
      (this.#active === 0 || this.#spent + cost <= this.budget)
    );
  }

  /**
   * Starts no batch task for the next `ms` milliseconds (a later, longer rest extends it); waiting batch tasks
   * start when it ends, if they still fit. Interactive tasks are not held.
   *
   * @example
   * decodes.restBatch(12); // the job items let single requests have the machine for 12 ms
   */
  restBatch(ms: number): void {
    const until = performance.now() + ms;
    if (!(ms > 0) || until <= this.#batchRestUntil) return;
    this.#batchRestUntil = until;
    clearTimeout(this.#batchRestTimer);
    // A timer may fire a fraction of a millisecond early: one that finds the rest not over yet waits again, or
    // the batch tasks waiting would wait until something else happened to wake them.
    const wake = () => {
      const left = this.#batchRestUntil - performance.now();
      if (left > 0) this.#batchRestTimer = setTimeout(wake, Math.ceil(left));
      else this.#startWaiting();
    };
    this.#batchRestTimer = setTimeout(wake, Math.ceil(ms));
  }

  /**
   * Runs `task` when a slot is free and its `cost` fits the budget, and frees both when it settles. Tasks start
   * in arrival order within their priority, interactive ones first: one that does not fit yet holds back those
   * behind it (an interactive one holds back every batch one too), so a large task is never starved by small
   * ones. A task whose `signal` was aborted while it waited is never started; one that waited longer than
   * `maxWaitMs` is refused with `QueueTimeoutError` and leaves the queue. An interactive task that finds the
   * queue full takes the place of the batch task that arrived last, which is refused (`QueueFullError`) instead.
   *
   * @example
   * const limiter = new Limiter(2, 8);
   * const result = await limiter.run(() => decode(bytes), { signal: request.signal, maxWaitMs: 5_000 });
   * const lane = new Limiter(2, 8, 128 * 2 ** 20); // two at once while they need 128 MiB together
   * await lane.run(() => decode(big), { cost: 50 * 2 ** 20 });
   * const door = new Limiter(10, 0, 48 * 2 ** 20); // admission: start now or be refused now
   * const decodes = new Limiter(2, 8, Number.POSITIVE_INFINITY, 1); // job items on one slot of two
   * await decodes.run(() => decode(item), { priority: "batch" });
   */
  async run<T>(task: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal, cost = 0, maxWaitMs = Number.POSITIVE_INFINITY } = options;
    const batch = options.priority === "batch";
    // Nothing goes before a waiting interactive task; a batch one also goes after every waiting batch one.
    const mustWait = this.#waiting.length > 0 || (batch && this.#waitingBatch.length > 0) || !this.#fits(cost, batch);
    if (mustWait) {
      if (this.queued >= this.queueLimit && (batch || this.#waitingBatch.length === 0)) {
        this.#rejected++;
        throw new QueueFullError();
      }
      if (!(maxWaitMs > 0)) {
        this.#timedOut++;
        throw new QueueTimeoutError(0);
      }
      // A full queue with a batch task in it: the last batch task to arrive gives its place to this one.
      if (this.queued >= this.queueLimit) this.#evictLastBatch();
      await new Promise<void>((start, refuse) => {
        const waiter: Waiter = { cost, batch, start, refuse };
        const queue = batch ? this.#waitingBatch : this.#waiting;
        if (Number.isFinite(maxWaitMs)) {
          const since = performance.now();
          waiter.timer = setTimeout(() => {
            queue.splice(queue.indexOf(waiter), 1);
            this.#timedOut++;
            refuse(new QueueTimeoutError(performance.now() - since));
            // The task that left may have been the one holding back smaller ones behind it.
            this.#startWaiting();
          }, maxWaitMs);
        }
        queue.push(waiter);
      });
    } else {
      this.#take(cost, batch);
    }
    try {
      if (signal?.aborted) throw new CallerGoneError();
      return await task();
    } finally {
      this.#active--;
      if (batch) this.#activeBatch--;
      this.#spent -= cost;
      this.#startWaiting();
    }
  }

  #take(cost: number, batch: boolean): void {
    this.#active++;
    if (batch) this.#activeBatch++;
    this.#spent += cost;
  }

  /** Refuses the batch task that arrived last, to make room in a full queue for an interactive one. */
  #evictLastBatch(): void {
    const last = this.#waitingBatch.pop();
    if (!last) return;
    clearTimeout(last.timer);
    this.#rejected++;
    last.refuse(new QueueFullError());
  }

  /**
   * Starts every waiting task that now fits: interactive ones in arrival order, then, unless an interactive one
   * still waits (for a slot, or for room in the budget), batch ones in arrival order.
   */
  #startWaiting(): void {
    for (let next = this.#waiting[0]; next && this.#fits(next.cost, false); next = this.#waiting[0]) {
      this.#waiting.shift();
      this.#start(next);
    }
    if (this.#waiting.length > 0) return;
    for (let next = this.#waitingBatch[0]; next && this.#fits(next.cost, true); next = this.#waitingBatch[0]) {
      this.#waitingBatch.shift();
      this.#start(next);
    }
  }

  #start(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.#take(waiter.cost, waiter.batch);
    waiter.start();
  }
}
