/**
 * Webhook signing secrets, one per tenant. The operator sets one root secret (`WEBHOOK_SECRET`); each key's
 * webhooks are signed with a secret derived from it and the job's owner, so a tenant who knows its own secret
 * can verify its webhooks but never forge another tenant's. A tenant reads its own with
 * `GET /v1/webhooks/secret`.
 */

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
