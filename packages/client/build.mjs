// `npm run build` (and `npm pack`'s prepack): dist/, what the package ships. The CLI (dist/cli.js) and the typed
// client (dist/index.js) are bundled with what they use of the repository's contract/, which is not in the package,
// so the tarball stands alone; npm dependencies stay imports, installed by npm. The typed client's declarations
// come from tsc (tsconfig.build.json) under dist/types/, with dist/index.d.ts in front of them.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const dist = join(here, "dist");
const { dependencies } = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

rmSync(dist, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: here,
  entryPoints: { index: "src/index.ts", cli: "src/cli.ts" },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22.12",
  // Bare imports (npm packages, Node built-ins) stay imports; relative ones (src/, contract/) are bundled.
  packages: "external",
  metafile: true,
  logLevel: "warning",
});

// An import left out of the bundle that is neither a Node built-in nor a dependency would be missing wherever the
// tarball is installed (a server-side package reached through contract/, say): refuse to build.
const builtins = new Set(builtinModules);
const packageOf = (path) =>
  path
    .split("/")
    .slice(0, path.startsWith("@") ? 2 : 1)
    .join("/");
const strays = new Set();
for (const output of Object.values(metafile.outputs))
  for (const { path, external } of output.imports)
    if (external && !path.startsWith("node:") && !builtins.has(path) && !(packageOf(path) in dependencies))
      strays.add(path);
if (strays.size > 0) {
  throw new Error(
    `dist/ imports ${[...strays].join(", ")}, which package.json's dependencies do not list: add them there, or stop importing them from src/`,
  );
}

// tsc from the repository's own devDependencies (the package has no build dependencies of its own).
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(here, "tsconfig.build.json")], { stdio: "inherit" });
// The sources import each other as `.ts` (Node's type stripping and tsx run them as they are); declarations are
// read beside .js files, so their relative imports name `.js`, which TypeScript maps to the `.d.ts`.
const declarations = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? declarations(join(dir, entry.name)) : [join(dir, entry.name)],
  );
for (const file of declarations(join(dist, "types"))) {
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace(/((?:from |import\()["']\.\.?\/[^"']*)\.ts(["'])/g, "$1.js$2"));
}
writeFileSync(join(dist, "index.d.ts"), 'export * from "./types/packages/client/src/index.js";\n');
