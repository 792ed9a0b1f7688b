/**
 * A counting semaphore with a bounded queue: at most `limit` tasks at once, at most `queueLimit` waiting in
 * arrival order, and a full queue refused at once (`QueueFullError`) rather than letting latency and memory
 * grow without bound. Decoding is CPU and memory bound: running more at once than the CPU can serve only adds
 * both. With `queueLimit` 0 it is a gate: a task starts now or is refused now (the container's admission).
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

export interface RunOptions {
  /** Aborted while the task waits: it is never started (`CallerGoneError`). */
  signal?: AbortSignal;
  /** What the task costs against the budget while it runs (e.g. bytes of memory); 0 by default. */
  cost?: number;
  /** How long the task may wait for its turn, in milliseconds; past it, `QueueTimeoutError`. No limit by default. */
  maxWaitMs?: number;
}

interface Waiter {
  cost: number;
  start: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class Limiter {
  readonly limit: number;
  readonly queueLimit: number;
  /** What the tasks running at once may cost together (e.g. bytes of memory); a task alone may exceed it. */
  readonly budget: number;
  #active = 0;
  #spent = 0;
  #rejected = 0;
  #timedOut = 0;
  readonly #waiting: Waiter[] = [];

  constructor(limit: number, queueLimit = Number.POSITIVE_INFINITY, budget = Number.POSITIVE_INFINITY) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`Expected a positive integer for limit but received ${limit}`);
    this.limit = limit;
    this.queueLimit = queueLimit;
    this.budget = budget;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
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

  /** A task of `cost` may start now: a slot is free and it fits the budget (or nothing else is running). */
  #fits(cost: number): boolean {
    return this.#active < this.limit && (this.#active === 0 || this.#spent + cost <= this.budget);
  }

  /**
   * Runs `task` when a slot is free and its `cost` fits the budget, and frees both when it settles. Tasks start
   * in arrival order: one that does not fit yet holds back those behind it, so a large task is never starved
   * by small ones. A task whose `signal` was aborted while it waited is never started; one that waited longer
   * than `maxWaitMs` is refused with `QueueTimeoutError` and leaves the queue.
   *
   * @example
   * const limiter = new Limiter(2, 8);
   * const result = await limiter.run(() => decode(bytes), { signal: request.signal, maxWaitMs: 5_000 });
   * const lane = new Limiter(2, 8, 128 * 2 ** 20); // two at once while they need 128 MiB together
   * await lane.run(() => decode(big), { cost: 50 * 2 ** 20 });
   * const door = new Limiter(10, 0, 48 * 2 ** 20); // admission: start now or be refused now
   */
  async run<T>(task: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal, cost = 0, maxWaitMs = Number.POSITIVE_INFINITY } = options;
    if (this.#waiting.length > 0 || !this.#fits(cost)) {
      if (this.#waiting.length >= this.queueLimit) {
        this.#rejected++;
        throw new QueueFullError();
      }
      if (!(maxWaitMs > 0)) {
        this.#timedOut++;
        throw new QueueTimeoutError(0);
      }
      await new Promise<void>((start, refuse) => {
        const waiter: Waiter = { cost, start };
        if (Number.isFinite(maxWaitMs)) {
          const since = performance.now();
          waiter.timer = setTimeout(() => {
            this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
            this.#timedOut++;
            refuse(new QueueTimeoutError(performance.now() - since));
            // The task that left may have been the one holding back smaller ones behind it.
            this.#startWaiting();
          }, maxWaitMs);
        }
        this.#waiting.push(waiter);
      });
    } else {
      this.#active++;
      this.#spent += cost;
    }
    try {
      if (signal?.aborted) throw new CallerGoneError();
      return await task();
    } finally {
      this.#active--;
      this.#spent -= cost;
      this.#startWaiting();
    }
  }

  /** Starts every waiting task that now fits, in arrival order. */
  #startWaiting(): void {
    for (let next = this.#waiting[0]; next && this.#fits(next.cost); next = this.#waiting[0]) {
      this.#waiting.shift();
      clearTimeout(next.timer);
      this.#active++;
      this.#spent += next.cost;
      next.start();
    }
  }
}
