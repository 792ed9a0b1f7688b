/**
 * SHA-256 in the two forms the Worker needs: raw (for constant-time comparison) and hex (for keys).
 */
const encoder = new TextEncoder();

/**
 * @example
 * await sha256("abc"); // ArrayBuffer(32)
 */
export function sha256(data: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data);
}

/**
 * @example
 * await sha256Hex("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return [...new Uint8Array(await sha256(data))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
