#!/usr/bin/env node
// `image-insights …`. Installed from the package: runs the built dist/cli.js. In a checkout of the API's repository
// (where src/ is, and tsx among the repository's devDependencies): runs the TypeScript sources through tsx, so an
// edit needs no build and `npx image-insights` never runs a stale dist/.
import { existsSync } from "node:fs";

const sources = new URL("../src/cli.ts", import.meta.url);
let entry = new URL("../dist/cli.js", import.meta.url);
if (existsSync(sources)) {
  const { register } = await import("tsx/esm/api");
  register();
  entry = sources;
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
