/**
 * The published contract: `/openapi.json` is generated from the same zod schemas the end-to-end tests check
 * every response against (helpers.ts `conforms`), so a response those tests accept validates against the
 * document tools read.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { componentSchema } from "../../contract/openapi.ts";
import {
  AnalysisResponseSchema,
  DeepHealthResponseSchema,
  ErrorEnvelopeSchema,
  HealthResponseSchema,
  UrlRequestSchema,
  ValidationEnvelopeSchema,
} from "../../contract/schemas.ts";
import { conforms } from "./helpers.ts";

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1 whose schemas are exactly the ones the tests check responses with", async () => {
    const res = await SELF.fetch("https://api.test/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      components: { schemas: Record<string, unknown> };
      paths: object;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(["/v1/image/analysis", "/v1/image/analysis/url", "/health"]);
    expect(doc.components.schemas).toEqual({
      AnalysisResponse: componentSchema(AnalysisResponseSchema),
      ErrorEnvelope: componentSchema(ErrorEnvelopeSchema),
      ValidationEnvelope: componentSchema(ValidationEnvelopeSchema),
      UrlRequest: componentSchema(UrlRequestSchema),
      HealthResponse: componentSchema(HealthResponseSchema),
      DeepHealthResponse: componentSchema(DeepHealthResponseSchema),
    });
  });

  it("carries real examples that themselves follow the schemas", async () => {
    const doc = (await (await SELF.fetch("https://api.test/openapi.json")).json()) as {
      paths: Record<
        string,
        {
          post?: {
            responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }>;
          };
        }
      >;
    };
    const responses = doc.paths["/v1/image/analysis"]?.post?.responses ?? {};
    const ok = responses["200"]?.content?.["application/json"]?.examples ?? {};
    expect(Object.keys(ok).length).toBeGreaterThanOrEqual(3);
    for (const example of Object.values(ok)) AnalysisResponseSchema.parse(example.value);
    for (const status of ["400", "401", "413", "415", "503", "504"]) {
      const examples = Object.values(responses[status]?.content?.["application/json"]?.examples ?? {});
      expect(examples.length, `examples of ${status}`).toBeGreaterThan(0); // a missing example fails, not passes
      for (const example of examples) ErrorEnvelopeSchema.parse(example.value);
    }
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

describe("the pages", () => {
  it.each(["/docs", "/playground"])("%s is served with its own script and a strict CSP", async (path) => {
    const res = await SELF.fetch(`https://api.test${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
    const html = await res.text();
    const script = /<script src="([^"]+)">/.exec(html)?.[1];
    expect(script).toBe(`${path}.js`);
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    const js = await SELF.fetch(`https://api.test${script}`);
    expect(js.headers.get("Content-Type")).toMatch(/^text\/javascript/);
  });
});
