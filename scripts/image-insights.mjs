#!/usr/bin/env node
// `npx image-insights …` from a checkout (after `npm install`): registers tsx so Node runs the CLI's TypeScript
// sources as they are, then hands over to scripts/cli/index.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli/index.ts");
process.exitCode = await main(process.argv.slice(2));
