/**
 * A loopback fixture server for the URL tests: images, redirects, hostile bodies, upstream errors, and a
 * DNS-over-HTTPS JSON endpoint with fixed answers (the tests have no internet). Started by global-setup.ts.
 */
import { createServer, type Server } from "node:http";
import sharp from "sharp";

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
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (url.pathname === "/image.png") {
      res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "public, max-age=300" }).end(png);
    } else if (url.pathname === "/octet") {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Cache-Control": "no-store" }).end(jpeg);
    } else if (url.pathname === "/short-lived.png") {
      res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "max-age=5" }).end(png);
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
      res.writeHead(Number(status[1]), { "Content-Type": "text/html" }).end("<h1>upstream secret error page</h1>");
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
