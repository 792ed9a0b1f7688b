// Types for the Worker tests: the bindings `cloudflare:test` exposes (see provided-context.d.ts for what global-setup.ts provides).
import type { Env as WorkerEnv } from "../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
