/**
 * Runs in Node before the Worker tests: starts the real container program as a local process (the one the
 * Worker reaches through the local container stand-in), and a small control server on loopback through
 * which tests running inside workerd stop and restart that process.
 */
import { createServer } from "node:http";
import type { TestProject } from "vitest/node";
import { type ContainerProcess, freePort, startContainerProcess } from "../../scripts/container-process.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = await freePort();
  let container: ContainerProcess | undefined = await startContainerProcess({ port });

  // POST /stop: SIGTERM and wait for the exit. POST /start: start it again on the same port.
  const control = createServer(async (req, res) => {
    try {
      if (req.url === "/stop") {
        await container?.stop("SIGTERM");
        container = undefined;
      } else if (req.url === "/start") {
        container ??= await startContainerProcess({ port });
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

  project.provide("containerUrl", container.url);
  project.provide("controlUrl", `http://127.0.0.1:${address.port}`);

  return async () => {
    control.close();
    await container?.stop("SIGTERM");
  };
}
