/**
 * wrangler's entry: the Worker's handlers and the Durable Object classes it binds, nothing else.
 */
import { createApp } from "./app.ts";
import { configFor } from "./config.ts";
import type { Env } from "./env.ts";
import { probeInstances } from "./health/index.ts";
import { consumeJobs } from "./jobs/consumer.ts";
import type { JobMessage } from "./jobs/messages.ts";
import { log } from "./log.ts";

export { AnalysisContainer } from "./analyzer/durable-object.ts";
export { BatchJob } from "./jobs/job.ts";
export { TenantJobs } from "./jobs/tenant.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  /** Batch jobs' items, and their dead letters (worker/src/jobs/consumer.ts). */
  queue: consumeJobs,
  /**
   * The optional warm-up (a Cron Trigger in wrangler.toml, off by default): starts every instance's
   * container so that the first caller of the day does not pay a cold start.
   */
  async scheduled(_controller: ScheduledController, env: Env): Promise<void> {
    const instances = await probeInstances(env, configFor(env), true);
    log("info", "warm-up", { instances: instances.map((i) => `${i.name}:${i.state}`).join(" ") });
  },
} satisfies ExportedHandler<Env, JobMessage>;
