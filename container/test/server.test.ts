/**
 * The real container process, as `npm run start:container` and the image run it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { request } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ContainerProcess, startContainerProcess } from "../../scripts/container-process.ts";
import { solidPng } from "./images.ts";

let container: ContainerProcess | undefined;
afterEach(async () => {
  await container?.stop("SIGKILL");
  container = undefined;
});

/** A multipart upload whose last bytes are sent only when `finish()` is called: a request held in flight. */
function heldUpload(url: string, png: Uint8Array) {
  const boundary = "----held-upload";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, png, tail]);
  const req = request(`${url}/v1/image/analysis`, {
    method: "POST",
    headers: { "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": body.length },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
  });
  const split = body.length - 10;
  req.write(body.subarray(0, split));
  return { response, finish: () => req.end(body.subarray(split)) };
}

/** How long the process may take to reach a state the tests wait for, in milliseconds. */
const STATE_TIMEOUT_MS = 5_000;

/** Waits until the process has let the upload in and is reading its body (`admitted` in its counters). */
async function reading(url: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const counters = (await (await fetch(`${url}/health?deep=1`)).json()) as { admitted: number };
      expect(counters.admitted).toBe(1);
    },
    { timeout: STATE_TIMEOUT_MS, interval: 20 },
  );
}

/** Waits until the process no longer accepts connections (it refuses new ones once it has a SIGTERM). */
async function notListening(url: string): Promise<void> {
  await vi.waitFor(() => expect(fetch(`${url}/health`)).rejects.toThrow(), {
    timeout: STATE_TIMEOUT_MS,
    interval: 20,
  });
}

describe("the container process", () => {
  it("answers /health with the service name", async () => {
    container = await startContainerProcess();
    const res = await fetch(`${container.url}/health`);
    expect(await res.json()).toEqual({ status: "healthy", service: "image-insights-api", version: "2.0.0" });
  });

  it("on SIGTERM refuses new connections, finishes the request in flight with 200, and exits 0", async () => {
    container = await startContainerProcess();
    const { url } = container;
    const upload = heldUpload(url, await solidPng(64, 64, [255, 255, 255]));
    await reading(url); // the server has the request's first bytes

    container.child.kill("SIGTERM");
    await notListening(url);

    upload.finish();
    const { status, body } = await upload.response;
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ brightness_score: 100 });
    expect(await container.exited).toBe(0);
  });
});

/** Whether this machine lets us make a PID namespace (root on Linux): where it does not, the test says so. */
const canUnshare = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"]).status === 0;

describe("the container process as PID 1", () => {
  it.skipIf(!canUnshare)("drains in-flight requests on SIGTERM and exits 0, as in an image", async () => {
    container = await startContainerProcess({ wrapper: ["unshare", "--pid", "--fork", "--mount-proc"] });
    const { url } = container;
    // unshare forks Node, which is PID 1 of the new namespace; signal that process, as a container runtime would.
    const nodePid = Number(
      execFileSync("pgrep", ["-P", String(container.child.pid)])
        .toString()
        .trim(),
    );
    const inside = execFileSync("cat", [`/proc/${nodePid}/status`]).toString();
    expect(inside).toMatch(/NSpid:\s+\d+\s+1\b/); // PID 1 inside its namespace
    const upload = heldUpload(url, await solidPng(32, 32, [0, 0, 0]));
    await reading(url);
    process.kill(nodePid, "SIGTERM");
    await notListening(url);
    upload.finish();
    const { status, body } = await upload.response;
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ brightness_score: 0 });
    expect(await container.exited).toBe(0);
  });
});
