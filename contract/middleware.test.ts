import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { describe, expect, it } from "vitest";
import type { LogFields, LogLevel } from "./log.ts";
import { type AccessLogVariables, accessLog, requestIdOptions } from "./middleware.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An app with both steps, whose log lines are kept, and routes that answer in each way a handler can. */
function app() {
  const lines: Array<{ level: LogLevel; msg: string; fields: LogFields | undefined }> = [];
  const app = new Hono<{ Variables: AccessLogVariables }>();
  app.use(requestId(requestIdOptions));
  app.use(accessLog((level, msg, fields) => lines.push({ level, msg, fields })));
  app.get("/json", (c) => c.json({ id: c.get("requestId"), startedAt: c.get("startedAt") }));
  // A handler that builds its answer whole: the headers `requestId` set on the context are not on it.
  app.get("/plain", () => new Response("plain"));
  // A container's answer passed through with its own headers, its X-Request-Id among them.
  app.get("/passed", (c) => c.newResponse("{}", { status: 503, headers: { "X-Request-Id": "the-container-said" } }));
  app.get("/fails", () => {
    throw new Error("boom");
  });
  app.onError((_err, c) => c.json({ id: c.get("requestId") }, 500));
  return { app, lines };
}

describe("requestId under the contract's rule", () => {
  it.each(["abc-123", "trace.1:span_2", "a".repeat(128)])("takes a sane incoming ID as it is: %s", async (id) => {
    const { app: a } = app();
    const res = await a.request("/json", { headers: { "X-Request-Id": id } });
    expect(res.headers.get("X-Request-Id")).toBe(id);
    expect(((await res.json()) as { id: string }).id).toBe(id);
  });

  it.each([
    "<script>alert(1)</script>",
    // Hono's own rule would keep this one; the contract's refuses `=`.
    "abc=",
    "a".repeat(129),
    "with space",
  ])("replaces %j with a fresh UUID, in the header and on the context", async (id) => {
    const { app: a } = app();
    const res = await a.request("/json", { headers: { "X-Request-Id": id } });
    const header = res.headers.get("X-Request-Id");
    expect(header).toMatch(UUID);
    expect(((await res.json()) as { id: string }).id).toBe(header);
  });

  it("makes one when the caller sends none, a new one per request", async () => {
    const { app: a } = app();
    const [first, second] = await Promise.all([a.request("/json"), a.request("/json")]);
    expect(first.headers.get("X-Request-Id")).toMatch(UUID);
    expect(second.headers.get("X-Request-Id")).toMatch(UUID);
    expect(first.headers.get("X-Request-Id")).not.toBe(second.headers.get("X-Request-Id"));
  });
});

describe("accessLog", () => {
  it("puts the caller's ID on answers a handler built whole, or passed through with another ID", async () => {
    const { app: a } = app();
    for (const path of ["/plain", "/passed", "/fails"]) {
      const res = await a.request(path, { headers: { "X-Request-Id": "caller-1" } });
      expect(res.headers.get("X-Request-Id"), path).toBe("caller-1");
    }
  });

  it("writes one access line per request: method, path, status, duration, the ID, and the caller's fields", async () => {
    const lines: Array<{ msg: string; fields: LogFields | undefined }> = [];
    const a = new Hono<{ Variables: AccessLogVariables }>();
    a.use(requestId(requestIdOptions));
    a.use(
      accessLog(
        (_level, msg, fields) => lines.push({ msg, fields }),
        (c) => ({ priority: c.req.header("X-Analysis-Priority") === "batch" ? "batch" : undefined }),
      ),
    );
    a.post("/v1/thing", (c) => c.json({}, 201));
    const before = performance.now();
    await a.request("/v1/thing", {
      method: "POST",
      headers: { "X-Request-Id": "r-7", "X-Analysis-Priority": "batch" },
    });
    const took = performance.now() - before;
    expect(lines).toHaveLength(1);
    const { msg, fields } = lines[0] as { msg: string; fields: LogFields };
    expect(msg).toBe("request");
    expect(fields).toMatchObject({
      request_id: "r-7",
      method: "POST",
      path: "/v1/thing",
      status: 201,
      priority: "batch",
    });
    expect(fields.duration_ms).toBeGreaterThanOrEqual(0);
    expect(fields.duration_ms).toBeLessThanOrEqual(Math.ceil(took * 10) / 10);
  });

  it("logs an error's status as answered, and stamps startedAt before the handler runs", async () => {
    const { app: a, lines } = app();
    const before = performance.now();
    const res = await a.request("/json");
    const { startedAt } = (await res.json()) as { startedAt: number };
    expect(startedAt).toBeGreaterThanOrEqual(before);
    expect(startedAt).toBeLessThanOrEqual(performance.now());
    await a.request("/fails");
    expect(lines.map((line) => [line.level, line.fields?.path, line.fields?.status])).toEqual([
      ["info", "/json", 200],
      ["info", "/fails", 500],
    ]);
  });
});
