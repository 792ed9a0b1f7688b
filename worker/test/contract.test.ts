/**
 * The published contract: `/openapi.json` is generated from the same zod schemas the end-to-end tests check
 * every response against (helpers.ts `conforms`), so a response those tests accept validates against the
 * document tools read.
 */

import { createExecutionContext, env, SELF } from "cloudflare:test";
import { createRoute, z } from "@hono/zod-openapi";
import { hc } from "hono/client";
import { describe, expect, it } from "vitest";
import {
  AnalysisResponseSchema,
  DeepHealthResponseSchema,
  ErrorEnvelopeSchema,
  HealthResponseSchema,
  ValidationEnvelopeSchema,
} from "../../contract/schemas.ts";
import { createApp } from "../src/app.ts";
import { conforms } from "./helpers.ts";

type Doc = {
  openapi: string;
  servers: Array<{ url: string }>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        parameters?: Array<{ name: string; in: string; schema: { enum?: string[] } }>;
        responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }>;
      }
    >
  >;
};

const documentOf = async (fetcher: { fetch(r: Request): Response | Promise<Response> } = SELF) =>
  (await (await fetcher.fetch(new Request("https://api.test/openapi.json"))).json()) as Doc;

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1, generated from the route declarations, with the contract's schemas as components", async () => {
    const doc = await documentOf();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "https://api.test", description: "This deployment." }]);
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(operations.sort()).toEqual([
      "DELETE /v1/jobs/{job_id} deleteJob",
      "GET / root",
      "GET /health health",
      "GET /v1/jobs listJobs",
      "GET /v1/jobs/{job_id} getJob",
      "GET /v1/jobs/{job_id}/duplicates getJobDuplicates",
      "GET /v1/jobs/{job_id}/results getJobResults",
      "GET /v1/webhooks/secret getWebhookSecret",
      "POST /v1/image/analysis analyseUpload",
      "POST /v1/image/analysis/url analyseUrl",
      "POST /v1/jobs submitJob",
    ]);
    expect(Object.keys(doc.components.schemas).sort()).toEqual([
      "AnalysisResponse",
      "DeepHealthResponse",
      "Duplicates",
      "ErrorEnvelope",
      "HealthResponse",
      "Job",
      "JobList",
      "JobRequest",
      "JobResultLine",
      "UrlRequest",
      "ValidationEnvelope",
      "WebhookSecret",
    ]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["apiKey", "bearer"]);
    const upload = doc.paths["/v1/image/analysis"]?.post;
    expect(upload?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual([
      "query:metrics",
      "query:edge_mode",
      "query:background",
      "query:colors",
      "query:algorithm",
      "query:crop",
    ]);
  });

  it("carries real examples that themselves follow the schemas", async () => {
    const doc = await documentOf();
    const responses = doc.paths["/v1/image/analysis"]?.post?.responses ?? {};
    const ok = responses["200"]?.content?.["application/json"]?.examples ?? {};
    expect(Object.keys(ok).length).toBeGreaterThanOrEqual(3);
    for (const example of Object.values(ok)) AnalysisResponseSchema.parse(example.value);
    for (const status of ["400", "401", "413", "415", "429", "503", "504"]) {
      const examples = Object.values(responses[status]?.content?.["application/json"]?.examples ?? {});
      expect(examples.length, `examples of ${status}`).toBeGreaterThan(0); // a missing example fails, not passes
      for (const example of examples) ErrorEnvelopeSchema.parse(example.value);
    }
    const invalid = responses["422"]?.content?.["application/json"]?.examples ?? {};
    for (const example of Object.values(invalid)) ValidationEnvelopeSchema.parse(example.value);
  });

  it("shows a query parameter added to a route in validation, types, the client and the document at once", async () => {
    // One schema change: a test-only route whose query has a parameter of its own.
    const probeRoute = createRoute({
      method: "get",
      path: "/test-only/probe",
      operationId: "probe",
      request: { query: z.object({ shade: z.enum(["light", "dark"]).describe("A test-only parameter.") }) },
      responses: {
        200: { description: "Echo.", content: { "application/json": { schema: z.object({ shade: z.string() }) } } },
      },
    });
    const app = createApp().openapi(probeRoute, (c) => c.json({ shade: c.req.valid("query").shade }, 200));
    const fetcher = { fetch: (r: Request) => app.fetch(r, env, createExecutionContext()) };

    const parameter = (await documentOf(fetcher)).paths["/test-only/probe"]?.get?.parameters?.[0];
    expect(parameter).toMatchObject({ name: "shade", in: "query", schema: { enum: ["light", "dark"] } });

    const client = hc<typeof app>("https://api.test", {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => fetcher.fetch(new Request(input, init)),
    });
    const ok = await client["test-only"].probe.$get({ query: { shade: "dark" } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ shade: "dark" });

    const refused = await fetcher.fetch(new Request("https://api.test/test-only/probe?shade=purple"));
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { detail: Array<{ loc: string[]; code: string }> };
    expect(body.detail[0]).toMatchObject({ loc: ["query", "shade"], code: "validation_error" });
  });
});

describe("what the route declarations refuse", () => {
  it("answers a body of an undeclared media type with 415 in the envelope, never a bare 500", async () => {
    const res = await SELF.fetch("https://api.test/v1/image/analysis/url", {
      method: "POST",
      headers: { "Content-Type": "text/plain", "X-API-Key": "test-key-main" },
      body: JSON.stringify({ url: "https://example.com/a.png" }),
    });
    expect(res.status).toBe(415);
    expect(await (await conforms(res)).json()).toMatchObject({
      detail: { code: "unsupported_media_type", error: "Unsupported Media Type" },
    });
  });

  it("answers a bad health query in FastAPI's 422 shape with the query as its place", async () => {
    const res = await SELF.fetch("https://api.test/health?deep=2");
    expect(res.status).toBe(422);
    expect(await (await conforms(res)).json()).toMatchObject({ detail: [{ loc: ["query", "deep"] }] });
  });
});

describe("conforms", () => {
  it("fails on a body the contract does not allow", async () => {
    const wrong = Response.json({ brightness_score: 57, width: 536 }, { status: 200 });
    await expect(conforms(wrong)).rejects.toThrow();
    const leaky = Response.json({ detail: { error: "x", code: "not_a_code", request_id: "r" } }, { status: 400 });
    await expect(conforms(leaky)).rejects.toThrow();
  });
});

describe("GET /health", () => {
  it("follows its schema, shallow and deep", async () => {
    HealthResponseSchema.parse(await (await SELF.fetch("https://api.test/health")).json());
    const deep = await SELF.fetch("https://api.test/health?deep=1", { headers: { "X-API-Key": "test-key-main" } });
    DeepHealthResponseSchema.parse(await deep.json());
  });
});
