/**
 * The house's import rules, checked by `npm run lint` (dependency-cruiser): what may import what. A reader can
 * trust them instead of reading every import.
 */
const TEST = "(\\.test\\.ts$|/test/|/bench/)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "No module imports itself through others, type-only imports included: a circle means two modules that can only be read together.",
      from: {},
      to: { circular: true },
    },
    {
      name: "worker-not-container",
      severity: "error",
      comment: "The Worker and the container program share only contract/.",
      from: { path: "^worker/" },
      to: { path: "^container/" },
    },
    {
      name: "container-not-worker",
      severity: "error",
      comment: "The Worker and the container program share only contract/.",
      from: { path: "^container/" },
      to: { path: "^worker/" },
    },
    {
      name: "contract-stands-alone",
      severity: "error",
      comment: "contract/ is what both programs and the client share: it imports none of them.",
      from: { path: "^contract/" },
      to: { path: "^(worker|container|packages|scripts)/" },
    },
    {
      name: "client-needs-no-server",
      severity: "error",
      comment: "What a customer installs (packages/client) uses the contract, never the servers' code.",
      from: { path: "^packages/client/src/", pathNot: TEST },
      to: { path: "^(worker|container|scripts)/" },
    },
    {
      name: "production-without-test-code",
      severity: "error",
      comment: "Code that only tests use lives under test/; production code never imports it.",
      from: { path: "^(worker|container|contract|packages/client)/", pathNot: TEST },
      to: { path: TEST },
    },
    {
      name: "one-module-imports-sharp",
      severity: "error",
      comment: "container/src/decode.ts is the only module that imports sharp: everything else gets pixels.",
      from: { path: "^container/src/", pathNot: `(^container/src/decode\\.ts$|${TEST})` },
      to: { path: "node_modules/sharp/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
    // workerd's own modules
    exclude: { path: "^cloudflare:" },
  },
};
