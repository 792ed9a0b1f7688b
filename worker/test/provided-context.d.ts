// What worker/test/global-setup.ts provides to the Worker tests through vitest's `inject`.
export {};

declare module "vitest" {
  export interface ProvidedContext {
    /** The local container process the stand-in forwards to. */
    containerUrl: string;
    /** The loopback fixture server of the URL tests (worker/test/source-server.ts). */
    sourceUrl: string;
    /** POST /stop, /start, /pause and /resume here control that process; /source-hits counts fixture requests. */
    controlUrl: string;
    /** 100 distinct 16×12 solid-colour PNGs, base64: tests 0–9 e2e, 10–39 edge, 40–99 spreading. */
    pngs: string[];
  }
}
