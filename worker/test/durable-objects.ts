import { runInDurableObject } from "cloudflare:test";

/**
 * `runInDurableObject` for this project's job classes. Each declares only the bindings it reads (`JobBindings`,
 * `TenantBindings`), so that its module need not import env.ts, which names it; the library's type accepts only
 * an object bound to the whole `Env`. Same call, same run: only the type differs.
 *
 * @example
 * await runIn(env.JOBS.getByName(jobId), (job: BatchJob) => job.wake());
 */
export function runIn<O extends Rpc.DurableObjectBranded, R>(
  stub: DurableObjectStub<O>,
  callback: (instance: O, state: DurableObjectState) => R | Promise<R>,
): Promise<R> {
  return runInDurableObject(stub as never, callback as never) as Promise<R>;
}
