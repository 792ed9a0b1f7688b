import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { control } from "../../test/helpers.ts";
import {
  LocalContainerRuntime,
  localContainerOrigin,
  localUrlFor,
  NOT_LISTENING_ERROR,
  withLocalContainerRuntime,
} from "./local-runtime.ts";

describe("localContainerOrigin", () => {
  it("accepts http on loopback hosts", () => {
    expect(localContainerOrigin("http://127.0.0.1:8080").host).toBe("127.0.0.1:8080");
    expect(localContainerOrigin("http://localhost:9000/").host).toBe("localhost:9000");
    expect(localContainerOrigin("http://[::1]:8080").host).toBe("[::1]:8080");
  });

  it("refuses any other host or scheme, so it can never proxy to another machine", () => {
    for (const url of ["http://10.0.0.5:8080", "http://example.com", "https://127.0.0.1:8080", "http://127.0.0.2"]) {
      expect(() => localContainerOrigin(url), url).toThrow(/Expected an http URL on a loopback host/);
    }
  });
});

describe("localUrlFor", () => {
  it("gives the default URL, or an instance's own", () => {
    const spec = "http://127.0.0.1:8080, analyzer-2=http://127.0.0.1:9";
    expect(localUrlFor(spec, "analyzer-2")).toBe("http://127.0.0.1:9");
    expect(localUrlFor(spec, "analyzer-0")).toBe("http://127.0.0.1:8080");
    expect(localUrlFor("analyzer-1=http://127.0.0.1:9", "analyzer-0")).toBeUndefined();
  });
});

describe("withLocalContainerRuntime", () => {
  it("leaves a context that has a real container untouched", () => {
    const real = { running: true } as unknown as Container;
    const ctx = { container: real } as unknown as DurableObjectState<{}>;
    expect(withLocalContainerRuntime(ctx, "http://127.0.0.1:8080").container).toBe(real);
  });

  it("installs nothing without LOCAL_CONTAINER_URL", () => {
    const ctx = {} as DurableObjectState<{}>;
    expect(withLocalContainerRuntime(ctx, undefined).container).toBeUndefined();
  });

  it("installs the stand-in when the runtime has no container and a local URL is set", () => {
    const ctx = {} as DurableObjectState<{}>;
    expect(withLocalContainerRuntime(ctx, "http://127.0.0.1:8080").container).toBeInstanceOf(LocalContainerRuntime);
  });
});

describe("LocalContainerRuntime", () => {
  it("is stopped until started, and signal() ends what monitor() waits for", async () => {
    const runtime = new LocalContainerRuntime(new URL(env.LOCAL_CONTAINER_URL as string));
    expect(runtime.running).toBe(false);
    await expect(runtime.monitor()).rejects.toThrow(/not running/);
    runtime.start();
    expect(runtime.running).toBe(true);
    expect(() => runtime.start()).toThrow(/already running/);
    const exited = runtime.monitor();
    runtime.signal(15);
    await expect(exited).resolves.toBeUndefined();
    expect(runtime.running).toBe(false);
  });

  it("forwards getTcpPort().fetch() to the local process, keeping path and query", async () => {
    const runtime = new LocalContainerRuntime(new URL(env.LOCAL_CONTAINER_URL as string));
    const res = await runtime.getTcpPort(8080).fetch("http://container/health?x=1");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "healthy" });
  });

  it("is an exited container once the process it had reached is gone, as the runtime reports a killed one", async () => {
    const runtime = new LocalContainerRuntime(new URL(env.LOCAL_CONTAINER_URL as string));
    runtime.start();
    const exited = runtime.monitor();
    expect((await runtime.getTcpPort(8080).fetch("http://container/health")).status).toBe(200);
    await control("stop");
    try {
      await expect(runtime.getTcpPort(8080).fetch("http://container/health")).rejects.toThrow(NOT_LISTENING_ERROR);
      // The Container class reads the exit code from these words (docker kill gives 137 in test-docker/).
      await expect(exited).rejects.toThrow(/^container exited with unexpected exit code: 137 /);
      expect(runtime.running).toBe(false);
    } finally {
      await control("start");
    }
    runtime.start(); // what the class does for the next request: a fresh container
    expect((await runtime.getTcpPort(8080).fetch("http://container/health")).status).toBe(200);
    expect(runtime.running).toBe(true);
  });

  it("is an exited container when the process is killed with a request in it", async () => {
    const runtime = new LocalContainerRuntime(new URL(env.LOCAL_CONTAINER_URL as string));
    runtime.start();
    // Both promises settle while the kill is under way: each is caught where it is made, so that no rejection is
    // ever unhandled, and its error is checked once the kill is done.
    const exited = runtime.monitor().then(
      () => "monitor() resolved",
      (error: unknown) => error,
    );
    expect((await runtime.getTcpPort(8080).fetch("http://container/health")).status).toBe(200);
    await control("pause"); // the request waits in the process (or, if the kill is quicker, finds it gone)
    try {
      const pending = runtime
        .getTcpPort(8080)
        .fetch("http://container/health")
        .then(
          () => "answered",
          (error: unknown) => error,
        );
      await control("kill");
      expect(String(await pending)).toMatch(/^Error: (Network connection lost\.|the container is not listening)/);
      expect(String(await exited)).toMatch(/^Error: container exited with unexpected exit code: 137 /);
      expect(runtime.running).toBe(false);
    } finally {
      await control("start");
    }
  });

  it("keeps running when a request loses its connection but the process still listens", async () => {
    // A connection the program closed without answering, or a request the runtime cancelled: not an exit.
    const runtime = new LocalContainerRuntime(new URL(inject("sourceUrl")));
    runtime.start();
    let settled = false;
    void runtime.monitor().then(
      () => (settled = true),
      () => (settled = true),
    );
    const dropped = `/mix?chain=${encodeURIComponent(JSON.stringify([{ status: null }]))}`;
    await expect(runtime.getTcpPort(8080).fetch(`http://container${dropped}`)).rejects.toThrow(
      /^Network connection lost\./,
    );
    await Promise.resolve(); // an exit would have settled monitor() before the fetch threw
    expect(settled).toBe(false);
    expect(runtime.running).toBe(true);
  });

  it("is not stopped by a port that never listened since start: a cold start polls it", async () => {
    const runtime = new LocalContainerRuntime(new URL("http://127.0.0.1:9"));
    runtime.start();
    await expect(runtime.getTcpPort(8080).fetch("http://ping")).rejects.toThrow(NOT_LISTENING_ERROR);
    expect(runtime.running).toBe(true);
  });

  it("reports a port nobody listens on in the runtime's own words", async () => {
    const runtime = new LocalContainerRuntime(new URL("http://127.0.0.1:9"));
    await expect(runtime.getTcpPort(8080).fetch("http://ping")).rejects.toThrow(NOT_LISTENING_ERROR);
  });
});
