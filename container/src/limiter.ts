/**
 * A counting semaphore with a bounded queue: at most `limit` tasks at once, at most `queueLimit` waiting in
 * arrival order, and a full queue refused at once (`QueueFullError`) rather than letting latency and memory
 * grow without bound. Decoding is CPU and memory bound: running more at once than the CPU can serve only adds
 * both.
 */
export class QueueFullError extends Error {
  constructor() {
    super("the queue is full");
    this.name = "QueueFullError";
  }
}

/** Thrown instead of starting a task whose caller has gone away while it waited. */
export class CallerGoneError extends Error {
  constructor() {
    super("the caller went away before the task started");
    this.name = "CallerGoneError";
  }
}

export class Limiter {
  readonly limit: number;
  readonly queueLimit: number;
  /** What the tasks running at once may cost together (e.g. bytes of memory); a task alone may exceed it. */
  readonly budget: number;
  #active = 0;
  #spent = 0;
  #rejected = 0;
  readonly #waiting: Array<{ cost: number; start: () => void }> = [];

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

  /** How many tasks were refused because the queue was full. */
  get rejected(): number {
    return this.#rejected;
  }

  /** A task of `cost` may start now: a slot is free and it fits the budget (or nothing else is running). */
  #fits(cost: number): boolean {
    return this.#active < this.limit && (this.#active === 0 || this.#spent + cost <= this.budget);
  }

  /**
   * Runs `task` when a slot is free and its `cost` fits the budget, and frees both when it settles. Tasks start
   * in arrival order: one that does not fit yet holds back those behind it, so a large task is never starved
   * by small ones. A task whose `signal` was aborted while it waited is never started.
   *
   * @example
   * const limiter = new Limiter(2, 8);
   * const result = await limiter.run(() => decode(bytes), request.signal);
   * const lane = new Limiter(2, 8, 128 * 2 ** 20); // two at once while they need 128 MiB together
   * await lane.run(() => decode(big), request.signal, 50 * 2 ** 20);
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal, cost = 0): Promise<T> {
    if (this.#waiting.length > 0 || !this.#fits(cost)) {
      if (this.#waiting.length >= this.queueLimit) {
        this.#rejected++;
        throw new QueueFullError();
      }
      await new Promise<void>((start) => this.#waiting.push({ cost, start }));
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
      // Start every waiting task that now fits, in arrival order.
      for (let next = this.#waiting[0]; next && this.#fits(next.cost); next = this.#waiting[0]) {
        this.#waiting.shift();
        this.#active++;
        this.#spent += next.cost;
        next.start();
      }
    }
  }
}
