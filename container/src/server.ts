/**
 * The container's process: listen, socket timeouts, graceful shutdown. The only file that knows about
 * sockets. Run as `node container/src/server.ts` (Node ≥ 22.18 strips the types) or, on Node 22.12–22.17,
 * `node --import tsx container/src/server.ts` (what `npm run start:container` does).
 */

import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { describeCause, log } from "./log.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  log("error", "invalid configuration", { cause: describeCause(err) });
  process.exit(2);
}

const app = createApp(config);
const server = serve({ fetch: app.fetch, port: config.port, hostname: "0.0.0.0" }, (info) => {
  log("info", "listening", { port: info.port, analysis_concurrency: config.analysisConcurrency });
}) as Server;

// Slow clients (slowloris) must not hold sockets open: bound the time to send headers and whole requests.
server.headersTimeout = config.headersTimeoutMs;
server.requestTimeout = config.requestTimeoutMs;

let shuttingDown = false;
/** While draining, how often keep-alive sockets that have gone idle are closed, in milliseconds. */
const DRAIN_POLL_MS = 50;

/**
 * SIGTERM (Cloudflare's stop, a rollout, `docker stop`): refuse new connections, let in-flight requests
 * finish, then exit 0. A keep-alive socket is closed as soon as its last response is sent, so an idle
 * client connection never holds the exit back for the keep-alive timeout.
 */
function shutdown(signal: string): void {
  if (shuttingDown) return;
  shuttingDown = true;
  log("info", "shutting down", { signal, grace_ms: config.shutdownGraceMs });
  const force = setTimeout(() => {
    log("warn", "grace period over, exiting with requests still in flight", {});
    process.exit(1);
  }, config.shutdownGraceMs);
  force.unref();
  server.close(() => {
    log("info", "stopped", {});
    process.exit(0);
  });
  setInterval(() => server.closeIdleConnections(), DRAIN_POLL_MS).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
