// What worker/test/global-setup.ts provides to the Worker tests through vitest's `inject`.
export {};

declare module "vitest" {
  export interface ProvidedContext {
    /** The local container process the stand-in forwards to. */
    containerUrl: string;
    /** POST /stop and /start here stop and restart that process. */
    controlUrl: string;
  }
}
