/**
 * The part of the WebAssembly JavaScript API that wasm.ts uses (https://webassembly.github.io/spec/js-api/):
 * Node has it as a global, but @types/node declares it only with the DOM library, which the container does not
 * load.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
