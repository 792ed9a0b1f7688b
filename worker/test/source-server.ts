/**
 * A loopback fixture server for the URL tests: images, redirects, hostile bodies, upstream errors, answers
 * that break HTTP itself (written byte by byte on the socket, since node:http refuses to), and a
 * DNS-over-HTTPS JSON endpoint with fixed answers (the tests have no internet). Started by global-setup.ts.
 */
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { gzipSync } from "node:zlib";
import sharp from "sharp";
import { GZIP_BOMB_BYTES, MISBEHAVIOURS, type MixedAnswer, UPSTREAM_CANARY } from "./upstream-answers.ts";

/** The fixed DNS answers of `/dns-query`: name → [type, address][] (absent: NXDOMAIN). */
const DNS: Record<string, Array<[1 | 28, string]>> = {
  "public.example": [[1, "93.184.216.34"]],
  "public6.example": [[28, "2606:4700:4700::1111"]],
  "private.example": [[1, "10.0.0.7"]],
  "loopback.example": [[1, "127.0.0.1"]],
  "metadata.example": [[1, "169.254.169.254"]],
  "cgnat.example": [[1, "100.64.1.1"]],
  "mixed.example": [
    [1, "93.184.216.34"],
    [1, "192.168.1.10"],
  ],
  "v6private.example": [[28, "fd00::1"]],
  "v6mapped.example": [[28, "::ffff:127.0.0.1"]],
};

export interface SourceServer {
  url: string;
  /** How many requests each path has had. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * The colour of `/png/<i>`: distinct for i up to 4095, so every numbered image has bytes of its own.
 *
 * @example
 * colourOf(1); // { r: 37, g: 91, b: 53 }
 */
export function colourOf(i: number): { r: number; g: number; b: number } {
  return { r: (i * 37) % 256, g: (i * 91 + Math.floor(i / 256)) % 256, b: (i * 53 + 7 * Math.floor(i / 256)) % 256 };
}

const numberedPngs = new Map<number, Promise<Buffer>>();

function numberedPng(i: number): Promise<Buffer> {
  let png = numberedPngs.get(i);
  if (!png) {
    png = sharp({ create: { width: 16, height: 12, channels: 3, background: colourOf(i) } })
      .png()
      .toBuffer();
    numberedPngs.set(i, png);
  }
  return png;
}

export async function startSourceServer(): Promise<SourceServer> {
  const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: "#ffffff" } })
    .png()
    .toBuffer();
  const jpeg = await sharp({ create: { width: 20, height: 10, channels: 3, background: "#000000" } })
    .jpeg()
    .toBuffer();
  const hits = new Map<string, number>();
  let origin = "";

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fixture");
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const hops = /^\/hops\/(\d+)$/.exec(url.pathname);
    const named = MISBEHAVIOURS[url.pathname];
    if (named) {
      writeMixed(req.socket, named, [], { png, jpeg, origin });
      return;
    }
    if (url.pathname === "/mix") {
      const chain = JSON.parse(url.searchParams.get("chain") ?? "[{}]") as MixedAnswer[];
      writeMixed(req.socket, chain[0] ?? {}, chain.slice(1), { png, jpeg, origin });
      return;
    }
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    const numbered = /^\/png\/(\d{1,4})$/.exec(url.pathname);
    // `/slow/<ms>/<i>`: image i of `/png/<i>`, answered after ms milliseconds (a slow server, for the jobs' fair share).
    const slow = /^\/slow\/(\d{1,5})\/(\d{1,4})$/.exec(url.pathname);
    if (slow) {
      const timer = setTimeout(() => {
        void numberedPng(Number(slow[2])).then((body) => {
          if (!res.destroyed)
            res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "no-store" }).end(body);
        });
      }, Number(slow[1]));
      res.on("close", () => clearTimeout(timer));
    } else if (numbered) {
      // Distinct images for the batch-job tests: a 16×12 PNG of one colour, `colourOf(i)`.
      void numberedPng(Number(numbered[1])).then((body) =>
        res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "no-store" }).end(body),
      );
    } else if (url.pathname === "/image.png") {
      res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "public, max-age=300" }).end(png);
    } else if (url.pathname === "/octet") {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Cache-Control": "no-store" }).end(jpeg);
    } else if (url.pathname === "/short-lived.png") {
      res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "max-age=5" }).end(png);
    } else if (url.pathname === "/aged.png") {
      // Five minutes of life, 290 s of them already spent in caches on the way (RFC 9111 §5.1).
      res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "max-age=300", Age: "290" }).end(png);
    } else if (url.pathname === "/shared-short.png") {
      // An hour for a browser, five seconds for a shared cache like ours (RFC 9111 §5.2.2.10).
      res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "max-age=3600, s-maxage=5" }).end(png);
    } else if (hops) {
      const n = Number(hops[1]);
      if (n === 0) res.writeHead(200, { "Content-Type": "image/png" }).end(png);
      else res.writeHead(302, { Location: `/hops/${n - 1}` }).end();
    } else if (url.pathname === "/loop") {
      res.writeHead(302, { Location: "/loop" }).end();
    } else if (url.pathname === "/to-localhost") {
      res.writeHead(302, { Location: `${origin.replace("127.0.0.1", "localhost")}/image.png` }).end();
    } else if (url.pathname === "/to-metadata") {
      res.writeHead(301, { Location: "http://169.254.169.254/latest/meta-data/" }).end();
    } else if (url.pathname === "/to-private-name") {
      res.writeHead(307, { Location: "http://private.example/image.png" }).end();
    } else if (url.pathname === "/endless") {
      res.writeHead(200, { "Content-Type": "image/png" });
      const chunk = Buffer.concat([png.subarray(0, 8), Buffer.alloc(64 * 1024 - 8)]);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
        if (!res.destroyed) res.once("drain", pump);
      };
      res.on("close", () => res.destroy());
      pump();
    } else if (url.pathname === "/trickle") {
      res.writeHead(200, { "Content-Type": "image/png" });
      let i = 0;
      const timer = setInterval(() => {
        if (i >= png.length || res.destroyed) {
          clearInterval(timer);
          res.end();
        } else res.write(png.subarray(i, ++i));
      }, 300);
      res.on("close", () => clearInterval(timer));
    } else if (url.pathname === "/claims-huge") {
      res.writeHead(200, { "Content-Type": "image/png", "Content-Length": String(50 * 1024 * 1024) });
      res.write(png);
      setTimeout(() => res.destroy(), 2_000);
    } else if (url.pathname === "/html-as-jpeg") {
      res.writeHead(200, { "Content-Type": "image/jpeg" }).end("<!doctype html><html><body>not an image</body></html>");
    } else if (status) {
      res
        .writeHead(Number(status[1]), { "Content-Type": "text/html" })
        .end(`<h1>upstream secret error page ${UPSTREAM_CANARY}</h1>`);
    } else if (url.pathname === "/dns-query") {
      const name = url.searchParams.get("name") ?? "";
      if (name === "resolver-error.example") {
        res.writeHead(500).end();
        return;
      }
      const type = url.searchParams.get("type") === "AAAA" ? 28 : 1;
      const records = DNS[name];
      const answer = (records ?? []).filter(([t]) => t === type).map(([t, data]) => ({ name, type: t, TTL: 60, data }));
      res.writeHead(200, { "Content-Type": "application/dns-json" });
      res.end(JSON.stringify({ Status: records ? 0 : 3, Answer: answer }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the source server has no port");
  origin = `http://127.0.0.1:${address.port}`;
  return {
    url: origin,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const REASONS: Record<number, string> = { 100: "Continue", 103: "Early Hints", 200: "OK", 204: "No Content" };

/** Writes `answer` on the raw socket: the bytes exactly as described, right or wrong. */
function writeMixed(
  socket: Socket,
  answer: MixedAnswer,
  rest: MixedAnswer[],
  fixtures: { png: Buffer; jpeg: Buffer; origin: string },
): void {
  const { png, jpeg, origin } = fixtures;
  const write = (text: string | Buffer) => {
    if (!socket.destroyed) socket.write(text);
  };
  if (answer.interim != null) write(`HTTP/1.1 ${answer.interim} ${REASONS[answer.interim] ?? "Interim"}\r\n\r\n`);
  const status = answer.status === undefined ? 200 : answer.status;
  if (status === null) {
    socket.end();
    return;
  }
  write(`HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\nContent-Type: image/png\r\n`);
  if (answer.hangHeaders) {
    // Never a blank line: the client waits for the rest of the headers until it gives up.
    socket.setTimeout(30_000, () => socket.destroy());
    return;
  }

  const next = `/mix?chain=${encodeURIComponent(JSON.stringify(rest.length > 0 ? rest : [{}]))}`;
  const host = origin.replace(/^http:/, "");
  const location = {
    next,
    "self-absolute": `${origin}${next}`,
    "protocol-relative": `${host}${next}`,
    bad: "http://[::1", // an unclosed IPv6 literal: no URL parser accepts it
    ftp: "ftp://example.com/image.png",
    data: "data:image/png;base64,iVBORw0KGgo=",
    private: "http://169.254.169.254/latest/meta-data/",
    port: "http://93.184.216.34:8080/image.png", // a public address on a port outside URL_ALLOWED_PORTS
    none: null,
  }[answer.location ?? (status >= 300 && status < 400 ? "next" : "none")];
  const headers: string[] = ["Connection: close", "Cache-Control: no-store", `X-Upstream: ${UPSTREAM_CANARY}`];
  if (location !== null) headers.push(`Location: ${location}`);

  let body: Buffer = {
    png,
    jpeg,
    html: Buffer.from(`<!doctype html><p>${UPSTREAM_CANARY}</p>`),
    empty: Buffer.alloc(0),
    big: Buffer.concat([png.subarray(0, 8), Buffer.alloc(GZIP_BOMB_BYTES - 8)]),
  }[answer.body ?? "png"];
  if (answer.encoding === "gzip") body = gzipSync(body);
  if (answer.encoding === "corrupt-gzip")
    body = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 0xff)]);
  if (answer.encoding === "gzip" || answer.encoding === "corrupt-gzip") headers.push("Content-Encoding: gzip");

  const length = answer.length ?? "exact";
  if (length === "exact") headers.push(`Content-Length: ${body.length}`);
  if (length === "over") headers.push(`Content-Length: ${body.length + 1000}`);
  if (length === "under") headers.push(`Content-Length: ${Math.floor(body.length / 2)}`);
  if (length === "chunked") headers.push("Transfer-Encoding: chunked");
  write(`${headers.join("\r\n")}\r\n\r\n`);

  const sent =
    answer.cut !== undefined && answer.cut < 1 ? body.subarray(0, Math.floor(body.length * answer.cut)) : body;
  if (length === "chunked") {
    if (sent.length > 0)
      write(Buffer.concat([Buffer.from(`${sent.length.toString(16)}\r\n`), sent, Buffer.from("\r\n")]));
    if (sent === body) write("0\r\n\r\n");
  } else {
    write(sent);
  }
  // A cut body or an overstated length ends with the connection, mid-answer.
  if (sent !== body || length === "over") socket.destroy();
  else socket.end();
}
