/**
 * Each key's webhooks are signed with its own secret, derived from the root WEBHOOK_SECRET (jobs/webhook.ts),
 * and a key reads its secret from `GET /v1/webhooks/secret`.
 */
import { createExecutionContext, env, SELF } from "cloudflare:test";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { WebhookSecretSchema } from "../../../contract/jobs.ts";
import { createApp } from "../../src/app.ts";
import { webhookSecretFor } from "../../src/jobs/webhook.ts";
import { sha256Hex } from "../helpers.ts";

const ROOT = env.WEBHOOK_SECRET as string;

const secretOf = async (key: string) => {
  const res = await SELF.fetch("https://api.test/v1/webhooks/secret", { headers: { "X-API-Key": key } });
  expect(res.status).toBe(200);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  return WebhookSecretSchema.parse(await res.json());
};

describe("webhookSecretFor", () => {
  it("is HMAC-SHA256 of webhook-secret:<owner> under the root secret's bytes, as whsec_ and base64", async () => {
    // Computed with Node's crypto: createHmac("sha256", base64-decoded root).update("webhook-secret:" + owner).
    expect(ROOT).toBe("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    expect(await webhookSecretFor(ROOT, "key:acme")).toBe("whsec_5ugwshkgdGKyHw37Hw8EeRQmDNWFBvFZ2qxKKwaZltw=");
    expect(await webhookSecretFor(ROOT, "key:0123456789abcdef")).toBe(
      "whsec_LIRc+L3joMIUtVpL64IsHxur00k8zzJSW9NSKgjZuxw=",
    );
  });
});

describe("GET /v1/webhooks/secret", () => {
  it("gives each key its own secret, the same on every call, that verifies only its own signatures", async () => {
    const main = await secretOf("test-key-main");
    const other = await secretOf("test-key-tenant-b");
    expect(main.scheme).toBe("standard-webhooks");
    expect(main.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(other.secret).not.toBe(main.secret);
    expect(main.secret).not.toBe(ROOT);
    expect((await secretOf("test-key-main")).secret).toBe(main.secret);
    // The key's owner's derived secret, exactly (auth/index.ts: the owner is `key:` and 16 hex of the key's hash).
    const owner = `key:${(await sha256Hex("test-key-main")).slice(0, 16)}`;
    expect(main.secret).toBe(await webhookSecretFor(ROOT, owner));

    // A Standard Webhooks library takes it as it is; another key's secret does not verify its signature.
    const payload = JSON.stringify({ type: "job.succeeded", data: { job_id: "job_x" } });
    const sentAt = new Date();
    const headers = {
      "webhook-id": "msg_job_x_succeeded",
      "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
      "webhook-signature": new Webhook(main.secret).sign("msg_job_x_succeeded", sentAt, payload),
    };
    expect(new Webhook(main.secret).verify(payload, headers)).toMatchObject({ type: "job.succeeded" });
    expect(() => new Webhook(other.secret).verify(payload, headers)).toThrow(WebhookVerificationError);
  });

  it("needs a key (401), and says in words that there is none without WEBHOOK_SECRET (404)", async () => {
    expect((await SELF.fetch("https://api.test/v1/webhooks/secret")).status).toBe(401);
    const res = await createApp().fetch(
      new Request("https://api.test/v1/webhooks/secret", { headers: { "X-API-Key": "test-key-main" } }),
      { ...env, WEBHOOK_SECRET: "" },
      createExecutionContext(),
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      detail: { code: "not_found", error: expect.stringContaining("its operator has not set WEBHOOK_SECRET") },
    });
  });
});
