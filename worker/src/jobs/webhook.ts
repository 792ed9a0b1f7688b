/**
 * A job's webhook: one signed POST (Standard Webhooks) to its `callback_url` when it ends, tried again with
 * exponential backoff (WEBHOOK_RETRY_BASE_S, WEBHOOK_MAX_ATTEMPTS) by the job's alarm (job.ts).
 *
 * Signing secrets, one per tenant: the operator sets one root secret (`WEBHOOK_SECRET`); each key's webhooks
 * are signed with a secret derived from it and the job's owner, so a tenant who knows its own secret can verify
 * its webhooks but never forge another tenant's. A tenant reads its own with `GET /v1/webhooks/secret`.
 */
import { Webhook } from "standardwebhooks";
import type { Job } from "../../../contract/jobs.ts";
import type { WorkerConfig } from "../config.ts";
import { describeCause, log } from "../log.ts";
import { checkSourceUrl, resolvePublic } from "../ssrf/index.ts";

/** How long one webhook delivery may take, in milliseconds. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/** What the derivation signs besides the owner: a new purpose for the root secret would use another label. */
const LABEL = "webhook-secret:";

function base64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/**
 * The Standard Webhooks secret (`whsec_` and base64) that signs `owner`'s webhooks: HMAC-SHA256 of
 * `webhook-secret:<owner>` under the root secret's bytes. The same for the same owner, always.
 *
 * @example
 * await webhookSecretFor("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "key:acme"); // "whsec_…" (44 base64 characters)
 */
export async function webhookSecretFor(rootSecret: string, owner: string): Promise<string> {
  const root = Uint8Array.from(atob(rootSecret.replace(/^whsec_/, "")), (ch) => ch.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", root, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(LABEL + owner));
  return `whsec_${base64(new Uint8Array(mac))}`;
}

/** Where a job's webhook goes, and how often it was tried already. */
export interface WebhookTarget {
  jobId: string;
  /** Whose secret signs it. */
  owner: string;
  callbackUrl: string;
  attempts: number;
}

/**
 * One try of a job's webhook, with the job as it is now (`view`); what to record: the tries so far, and when
 * the next is due (null: delivered, or given up after WEBHOOK_MAX_ATTEMPTS). A failed try is logged, never
 * thrown.
 *
 * @example
 * await deliverWebhook(target, () => view, config, Date.now()); // { attempts: 1, nextAt: null }
 */
export async function deliverWebhook(
  target: WebhookTarget,
  view: () => Job,
  config: WorkerConfig,
  now: number,
): Promise<{ attempts: number; nextAt: number | null }> {
  const attempt = target.attempts + 1;
  const delivered = await post(target, view, config).catch((cause: unknown) => {
    log("warn", "webhook failed", { job_id: target.jobId, attempt, cause: describeCause(cause) });
    return false;
  });
  if (delivered || attempt >= config.webhookMaxAttempts) {
    if (!delivered) log("error", "webhook given up", { job_id: target.jobId, attempts: attempt });
    return { attempts: attempt, nextAt: null };
  }
  const delayMs = config.webhookRetryBaseS * 1000 * 2 ** (attempt - 1);
  return { attempts: attempt, nextAt: now + delayMs };
}

/** POSTs the signed webhook; whether the receiver answered 2xx. */
async function post(target: WebhookTarget, view: () => Job, config: WorkerConfig): Promise<boolean> {
  if (!config.webhookSecret) throw new Error("WEBHOOK_SECRET is not set");
  // The same SSRF rules as an image URL, on every try: a name that now resolves to a private address is refused.
  const { url, host, allowed } = checkSourceUrl(target.callbackUrl, config);
  const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
  if (host.kind === "name" && !allowed) await resolvePublic(host.name, config.dnsResolverUrl, signal);
  const job = view();
  const payload = JSON.stringify({ type: `job.${job.status}`, timestamp: job.updated_at, data: job });
  // One ID per event, the same on every try, so the receiver can drop a duplicate (Standard Webhooks).
  const id = `msg_${target.jobId}_${job.status}`;
  const sentAt = new Date();
  // Signed with the owner's own secret: one tenant's secret verifies only its own webhooks.
  const secret = await webhookSecretFor(config.webhookSecret, target.owner);
  const signature = new Webhook(secret).sign(id, sentAt, payload);
  const response = await fetch(url, {
    method: "POST",
    redirect: "manual", // a redirect is not followed: it could lead anywhere
    signal,
    headers: {
      "Content-Type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body: payload,
  });
  await response.body?.cancel();
  return response.status >= 200 && response.status < 300;
}
