/**
 * What the loopback fixture server (source-server.ts) can answer besides its plain routes: upstream answers
 * that break HTTP, named or mixed. Shared by the server (Node) and the tests (workerd), so nothing here may
 * import a Node module.
 */

/** Text in every error page and hostile body of this server: no answer of the API may ever contain it. */
export const UPSTREAM_CANARY = "upstream-canary-7f3a";

/** How big `/gzip-bomb` inflates, in bytes: past the 5 MiB cap, from a few kilobytes on the wire. */
export const GZIP_BOMB_BYTES = 8 * 1024 * 1024;

/**
 * One upstream answer as `/mix` builds it, so a test (the fast-check run in worker/test/upstream.test.ts)
 * can mix misbehaviours freely. Every field is optional; `{}` is a plain 200 with a PNG.
 */
export interface MixedAnswer {
  /** A 1xx sent before the final answer (100, 102, 103); with `status: null`, the only answer. */
  interim?: number | null;
  /** The final status; null sends no final answer at all (the connection closes after `interim`). */
  status?: number | null;
  /**
   * `Location`: "next" (the rest of the chain, relative), "self-absolute" (the next hop as an absolute URL),
   * "protocol-relative" (`//host:port/…` of the next hop), "bad" (unparseable), "ftp", "data", "private"
   * (169.254.169.254), "port" (a public address on port 8080), "none" (no header).
   */
  location?: "next" | "self-absolute" | "protocol-relative" | "bad" | "ftp" | "data" | "private" | "port" | "none";
  /** The body: an image, HTML with the canary, nothing, or a PNG signature followed by 6 MiB of zeros. */
  body?: "png" | "jpeg" | "html" | "empty" | "big";
  /** `Content-Encoding: gzip` with the body gzipped, or a body that is not gzip at all. */
  encoding?: "identity" | "gzip" | "corrupt-gzip";
  /** `Content-Length`: true, 1000 bytes too many, half of the truth, absent (close-delimited), or chunked. */
  length?: "exact" | "over" | "under" | "none" | "chunked";
  /** Close the connection after this share of the body (0–1); 1 or absent sends it all. */
  cut?: number;
  /** The headers never finish: the connection stays open after the status line and one header. */
  hangHeaders?: boolean;
}

/**
 * The misbehaving upstreams, each at its own path (worker/test/upstream.test.ts tests each): what a server on
 * the internet may answer, however wrong.
 */
export const MISBEHAVIOURS: Record<string, MixedAnswer> = {
  "/bad-location": { status: 302, location: "bad" },
  "/protocol-relative-location": { status: 301, location: "protocol-relative" },
  "/to-ftp": { status: 302, location: "ftp" },
  "/to-data": { status: 307, location: "data" },
  "/to-other-port": { status: 302, location: "port" },
  "/redirect-without-location": { status: 302, location: "none" },
  "/not-modified": { status: 304, location: "none" },
  "/multiple-choices-with-location": { status: 300, location: "next" },
  "/gzip-bomb": { body: "big", encoding: "gzip" },
  "/gzip-image": { encoding: "gzip" },
  "/corrupt-gzip": { encoding: "corrupt-gzip" },
  "/length-overstated": { length: "over" },
  "/length-understated": { length: "under" },
  "/stops-midway": { cut: 0.5, length: "exact" },
  "/stops-midway-chunked": { cut: 0.5, length: "chunked" },
  "/headers-never-finish": { hangHeaders: true },
  "/early-hints": { interim: 103 },
  "/only-continue": { interim: 100, status: null },
  "/no-content": { status: 204, body: "empty", length: "none" },
  "/empty-200": { body: "empty", length: "exact" },
  "/empty-200-close-delimited": { body: "empty", length: "none" },
};
