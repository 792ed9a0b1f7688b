/**
 * A counting semaphore: at most `limit` decodes at once, the rest wait in arrival order. Decoding is CPU and
 * memory bound; running more at once than the CPU can serve only adds memory and latency.
 */
export class Limiter {
  readonly limit: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`Expected a positive integer for limit but received ${limit}`);
    this.limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` when a slot is free, and frees the slot when it settles.
   *
   * @example
   * const limiter = new Limiter(2);
   * const result = await limiter.run(() => decode(bytes));
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next)
        next(); // the slot passes straight to the next task
      else this.#active--;
    }
  }
}
