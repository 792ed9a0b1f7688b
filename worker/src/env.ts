/**
 * The Worker's environment as workerd hands it over: the bindings `wrangler.toml` declares, and the variables
 * and secrets (`Vars`, read and validated in config.ts). Types only.
 */
import type { AnalysisContainer } from "./analyzer/durable-object.ts";
import type { Vars } from "./config.ts";
import type { BatchJob } from "./jobs/job.ts";
import type { JobMessage } from "./jobs/messages.ts";
import type { TenantJobs } from "./jobs/tenant.ts";

/** The bindings, variables and secrets `wrangler.toml` declares. */
export interface Env extends Vars {
  /** The Durable Objects that own the analysis containers, one per instance (analyzer/durable-object.ts). */
  ANALYZER: DurableObjectNamespace<AnalysisContainer>;
  /** The result cache (cache/index.ts). */
  RESULTS: KVNamespace;
  /** Requests per key and window (ratelimit/index.ts); absent where the platform offers none. */
  RATE_LIMITER?: RateLimit;
  /** One Durable Object per batch job (jobs/job.ts). */
  JOBS: DurableObjectNamespace<BatchJob>;
  /** One key's unfinished jobs: its open items and which of its jobs may send items (jobs/tenant.ts). */
  TENANTS: DurableObjectNamespace<TenantJobs>;
  /** Batch jobs' items, one message each (jobs/consumer.ts). */
  JOB_QUEUE: Queue<JobMessage>;
  /** Batch jobs' uploaded files, kept until the job expires. */
  UPLOADS: R2Bucket;
}
