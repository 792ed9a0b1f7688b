/**
 * The whole local stack on real ports, for tests and tools that need an HTTP address (the load suite, the
 * browser test): the container program as a local process, and the Worker bundled with esbuild and run in
 * workerd through Miniflare's own API, with its Durable Object, KV and rate-limit bindings, in front of it
 * through the local container stand-in.
 */
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { parse } from "smol-toml";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { type ContainerProcess, startContainerProcess } from "./container-process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** wrangler.toml's `compatibility_date` (the one place it is written), which the pinned workerd accepts. */
export const COMPATIBILITY_DATE = String(
  (parse(readFileSync(`${ROOT}wrangler.toml`, "utf8")) as { compatibility_date: string }).compatibility_date,
);

export interface LocalStack {
  /** The Worker's address, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The first container process (instance analyzer-0, and every instance without one of its own). */
  container: ContainerProcess;
  /** Every container process, `containers[i]` serving instance `analyzer-i` (the first also the rest). */
  containers: ContainerProcess[];
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Worker variables and secrets (strings), on top of development defaults. */
  vars?: Record<string, string>;
  /** Container environment (of every container process). */
  containerEnv?: Record<string, string>;
  /**
   * How many container processes to start (default 1): process i serves instance `analyzer-i` through
   * `LOCAL_CONTAINER_URL`'s `name=url` entries, the first one also every instance beyond. `CONTAINER_INSTANCES`
   * is set equal to it (unless `vars` says otherwise): each instance has a process of its own, as each has a
   * container on Cloudflare.
   */
  containers?: number;
  /** Requests per minute per client for the rate limiter. */
  rateLimitPerMinute?: number;
  /** The Worker's port; a free one when absent. */
  port?: number;
  /** Drop the Worker's and the container's log lines (the load suite prints its own tables). */
  quiet?: boolean;
}

/** Bundles the Worker as wrangler would (ES modules, `cloudflare:*` left to the runtime). */
export async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [`${ROOT}worker/src/index.ts`],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*"],
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

/**
 * @example
 * const stack = await startLocalStack({ vars: { API_KEYS: "k1" } });
 * await fetch(`${stack.url}/health`);
 * await stack.stop();
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const containers = await Promise.all(
    Array.from({ length: Math.max(1, options.containers ?? 1) }, () =>
      startContainerProcess({ env: options.containerEnv, stdio: options.quiet ? "ignore" : "inherit" }),
    ),
  );
  const container = containers[0] as ContainerProcess;
  const localContainerUrl = [container.url, ...containers.slice(1).map((c, i) => `analyzer-${i + 1}=${c.url}`)].join(
    ",",
  );
  // wrangler.toml's bindings as wrangler itself reads them (Durable Objects, KV, queues and their consumers,
  // R2), so the stack is the deployed Worker's shape; the container runs as the local process above.
  const { workerOptions } = unstable_getMiniflareWorkerOptions(`${ROOT}wrangler.toml`, undefined, {
    overrides: { enableContainers: false },
  } as never);
  // The Worker is one bundled script here: wrangler's assets and module rules do not apply (and Miniflare 5
  // refuses to convert module rules).
  const {
    assets: _assets,
    modulesRules: _modulesRules,
    ...bindings
  } = workerOptions as typeof workerOptions & {
    assets?: unknown;
    modulesRules?: unknown;
  };
  // Miniflare 5 takes a new options shape; wrangler still hands out the v4 one, which Miniflare converts.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...bindings,
      modules: true,
      script: await bundleWorker(),
      compatibilityDate: COMPATIBILITY_DATE,
      // Placeholder `request.cf` values: no attempt to download the real ones (offline, and no warning).
      cf: false,
      ratelimits: {
        RATE_LIMITER: { namespace_id: "1001", simple: { limit: options.rateLimitPerMinute ?? 120, period: 60 } },
      },
      bindings: {
        ...(bindings.bindings as Record<string, unknown> | undefined),
        ENVIRONMENT: "development",
        LOCAL_CONTAINER_URL: localContainerUrl,
        // As many instances as processes: batch capacity follows CONTAINER_INSTANCES (JOB_ITEMS_PER_INSTANCE on
        // each), and wrangler.toml's 4 on one process would send it four instances' share of job items.
        CONTAINER_INSTANCES: String(containers.length),
        ...options.vars,
      },
      host: "127.0.0.1",
      port: options.port ?? 0,
      log: new Log(LogLevel.WARN),
      ...(options.quiet
        ? {
            handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
              stdout.resume();
              stderr.resume();
            },
            // Miniflare 5 reads workerd's output as structured logs and prints them unless told otherwise.
            handleStructuredLogs: () => {},
          }
        : {}),
    }),
  );
  const url = (await mf.ready).origin;
  return {
    url,
    container,
    containers,
    stop: async () => {
      await mf.dispose();
      await Promise.all(containers.map((c) => c.stop()));
    },
  };
}
