/**
 * Puts the docs page's third-party files (Swagger UI, from the `swagger-ui-dist` package) into the static
 * assets, worker/public/vendor/ (not committed: made from the installed package). wrangler runs this before
 * `wrangler dev` and `wrangler deploy` (`[build]` in wrangler.toml); it is quick and idempotent.
 *
 * @example
 * node --import tsx scripts/assets.ts
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where the vendored files go, under the assets directory. */
export const VENDOR_DIR = join(ROOT, "worker/public/vendor/swagger-ui");
/** The files of swagger-ui-dist the page loads. */
const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"];

/** Copies the vendored files; returns where they went. */
export function vendorAssets(): string {
  const from = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  mkdirSync(VENDOR_DIR, { recursive: true });
  for (const file of SWAGGER_FILES) copyFileSync(join(from, file), join(VENDOR_DIR, file));
  return VENDOR_DIR;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`assets: ${vendorAssets()}`);
