/**
 * Runs `work` with a deadline: past `ms`, its signal is aborted and the result is `onTimeout()` (which may
 * throw). The timer is cleared either way, so nothing outlives the request.
 *
 * @example
 * const res = await withDeadline((signal) => stub.fetch(req, { signal }), 30_000, () => {
 *   throw containerTimeout(30_000);
 * });
 */
export async function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  ms: number,
  onTimeout: () => T,
): Promise<T> {
  const controller = new AbortController();
  let expire: () => void = () => {};
  const expired = new Promise<T>((resolve, reject) => {
    expire = () => {
      controller.abort();
      try {
        resolve(onTimeout());
      } catch (err) {
        reject(err);
      }
    };
  });
  const timer = setTimeout(() => expire(), ms);
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
