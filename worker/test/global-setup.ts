/**
 * Runs in Node before the Worker tests: starts the real container program as a local process (the one the
 * Worker reaches through the local container stand-in), and a small control server on loopback through
 * which tests running inside workerd stop and restart that process.
 */
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import sharp from "sharp";
import type { TestProject } from "vitest/node";
import { type ContainerProcess, freePort, startContainerProcess } from "../../scripts/container-process.ts";
import { startSourceServer } from "./source-server.ts";

/** The request IDs of the last requests the container process logged, so a test can prove one reached it. */
const SEEN_REQUEST_IDS_MAX = 1_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = await freePort();
  const seenRequestIds = new Set<string>();
  // The process's own log lines (JSON, one per line): every request ID it logged is remembered.
  const start = async () => {
    const started = await startContainerProcess({ port, stdio: "pipe" });
    started.child.stderr?.resume();
    createInterface({ input: started.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      try {
        const id = (JSON.parse(line) as { request_id?: unknown }).request_id;
        if (typeof id !== "string") return;
        seenRequestIds.add(id);
        if (seenRequestIds.size > SEEN_REQUEST_IDS_MAX)
          seenRequestIds.delete(seenRequestIds.values().next().value as string);
      } catch {
        // not a log line of ours
      }
    });
    return started;
  };
  let container: ContainerProcess | undefined = await start();
  const source = await startSourceServer();

  // A webhook receiver for the jobs tests: POST /hook records the request (and answers each status queued by
  // POST /hook-fail first); GET /hooks lists what it received.
  const hooks: Array<{ headers: Record<string, string>; body: string }> = [];
  let hookFailures = 0;
  // POST /stop: SIGTERM and wait for the exit (/kill: SIGKILL). POST /start: start it again on the same port.
  // POST /pause and /resume: SIGSTOP and SIGCONT, a process that accepts connections but never answers.
  const control = createServer(async (req, res) => {
    try {
      if (req.url === "/stop" || req.url === "/kill") {
        await container?.stop(req.url === "/kill" ? "SIGKILL" : "SIGTERM");
        container = undefined;
      } else if (req.url === "/start") {
        container ??= await start();
      } else if (req.url === "/hook") {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        if (hookFailures > 0) {
          hookFailures--;
          res.writeHead(500).end();
          return;
        }
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        hooks.push({ headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(204).end();
        return;
      } else if (req.url?.startsWith("/hook-fail?")) {
        hookFailures = Number(new URL(req.url, "http://control").searchParams.get("times") ?? "1");
      } else if (req.url === "/hooks") {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(hooks));
        return;
      } else if (req.url?.startsWith("/seen?")) {
        const id = new URL(req.url, "http://control").searchParams.get("request_id") ?? "";
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify({ seen: seenRequestIds.has(id) }));
        return;
      } else if (req.url === "/source-hits") {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(Object.fromEntries(source.hits)));
        return;
      } else if (req.url === "/pause" || req.url === "/resume") {
        container?.child.kill(req.url === "/pause" ? "SIGSTOP" : "SIGCONT");
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(204).end();
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const address = control.address();
  if (!address || typeof address === "string") throw new Error("the control server has no port");

  // Distinct small PNGs for tests that need many different images (workerd has no image encoder).
  const pngs = await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 };
      const png = await sharp({ create: { width: 16, height: 12, channels: 3, background } })
        .png()
        .toBuffer();
      return png.toString("base64");
    }),
  );
  project.provide("pngs", pngs);
  project.provide("sourceUrl", source.url);
  project.provide("containerUrl", container.url);
  project.provide("controlUrl", `http://127.0.0.1:${address.port}`);

  return async () => {
    control.close();
    await source.close();
    await container?.stop("SIGTERM");
  };
}
