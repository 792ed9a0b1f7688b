/**
 * The `next_cursor` of `GET /v1/jobs`: KV's own list cursor, carried with a check that binds it to its owner.
 * KV's cursor, passed through as it came, gave an empty page locally for a mangled one and may throw on
 * Cloudflare; with the check, a malformed, truncated or another key's cursor is told apart (400
 * `invalid_cursor`) before KV sees it. Not a secret: a caller who forges one can only list under their own prefix.
 */
import { ApiError } from "../../../contract/errors.ts";
import { sha256Hex } from "../digest.ts";

/** The 400 for a `cursor` that is not a `next_cursor` this API gave the caller (or one KV no longer takes). */
export const invalidCursor = (cause?: unknown) =>
  new ApiError(
    400,
    "invalid_cursor",
    "Invalid cursor: pass next_cursor from the previous page exactly as it came, or leave cursor out for the first page",
    { extra: { parameter: "cursor" }, cause },
  );

/** The part of `next_cursor` that binds it to its owner and its KV cursor: 16 hex digits of a SHA-256. */
const cursorCheck = async (owner: string, kvCursor: string) => (await sha256Hex(`${owner}|${kvCursor}`)).slice(0, 16);

/**
 * The API's `next_cursor`: KV's cursor (base64url) and a check over it and its owner.
 *
 * @example
 * await encodeCursor("key:3f2a…", "AAAAAB…"); // "QUFBQUFC….9c1b0e2f4a6d8e10"
 */
export async function encodeCursor(owner: string, kvCursor: string): Promise<string> {
  const bytes = new TextEncoder().encode(kvCursor);
  const base64url = btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(""))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return `${base64url}.${await cursorCheck(owner, kvCursor)}`;
}

/**
 * KV's cursor inside a `next_cursor` of this owner's; an `invalid_cursor` ApiError for anything else.
 *
 * @example
 * await decodeCursor("key:3f2a…", await encodeCursor("key:3f2a…", "AAAAAB…")); // "AAAAAB…"
 */
export async function decodeCursor(owner: string, token: string): Promise<string> {
  const match = /^([A-Za-z0-9_-]+)\.([0-9a-f]{16})$/.exec(token);
  if (!match) throw invalidCursor();
  let kvCursor: string;
  try {
    const binary = atob((match[1] as string).replaceAll("-", "+").replaceAll("_", "/"));
    kvCursor = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
    );
  } catch (cause) {
    throw invalidCursor(cause);
  }
  if ((await cursorCheck(owner, kvCursor)) !== match[2]) throw invalidCursor();
  return kvCursor;
}
