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
  #active = 0;
  #rejected = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number, queueLimit = Number.POSITIVE_INFINITY) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`Expected a positive integer for limit but received ${limit}`);
    this.limit = limit;
    this.queueLimit = queueLimit;
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

  /**
   * Runs `task` when a slot is free, and frees the slot when it settles. A task whose `signal` was aborted
   * while it waited is never started.
   *
   * @example
   * const limiter = new Limiter(2, 8);
   * const result = await limiter.run(() => decode(bytes), request.signal);
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#active >= this.limit) {
      if (this.#waiting.length >= this.queueLimit) {
        this.#rejected++;
        throw new QueueFullError();
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      if (signal?.aborted) throw new CallerGoneError();
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next)
        next(); // the slot passes straight to the next task
      else this.#active--;
    }
  }
}
