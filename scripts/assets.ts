/**
 * Puts the pages' third-party files into the static assets, under worker/public/vendor/ (not committed: made from
 * the installed packages): the docs page's Swagger UI (`swagger-ui-dist`) and the playground's BlurHash and
 * ThumbHash decoders (`blurhash`'s browser ES module and `thumbhash`'s only module, neither of which imports anything). wrangler runs this before `wrangler dev` and
 * `wrangler deploy` (`[build]` in wrangler.toml); it is quick and idempotent.
 *
 * @example
 * node --import tsx scripts/assets.ts
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where the vendored files go, under the assets directory (served as /vendor/…). */
export const VENDOR_DIR = join(ROOT, "worker/public/vendor");

/** One package's files to copy: from its folder in node_modules to `VENDOR_DIR/<into>`, each under a new name. */
interface VendoredPackage {
  name: string;
  into: string;
  /** File in the package → name under `into`. */
  files: Record<string, string>;
}

export const VENDORED: readonly VendoredPackage[] = [
  {
    name: "swagger-ui-dist",
    into: "swagger-ui",
    files: { "swagger-ui-bundle.js": "swagger-ui-bundle.js", "swagger-ui.css": "swagger-ui.css", LICENSE: "LICENSE" },
  },
  {
    // The package's "browser" + "import" export: ES2017+, no import of its own, so a page can import() it as is.
    // Its source map keeps its name, which the file's sourceMappingURL comment names.
    name: "blurhash",
    into: "blurhash",
    files: { "dist/esm/index.js": "index.js", "dist/esm/index.js.map": "index.js.map" },
  },
  {
    // One ES module (the encoder and the decoders), plain JavaScript: the page imports it as is. The package ships
    // no LICENSE file (MIT, said in its package.json).
    name: "thumbhash",
    into: "thumbhash",
    files: { "thumbhash.js": "index.js" },
  },
];

/** Copies the vendored files; returns where they went. */
export function vendorAssets(): string {
  const require = createRequire(import.meta.url);
  for (const { name, into, files } of VENDORED) {
    const from = dirname(require.resolve(`${name}/package.json`));
    mkdirSync(join(VENDOR_DIR, into), { recursive: true });
    for (const [source, target] of Object.entries(files))
      copyFileSync(join(from, source), join(VENDOR_DIR, into, target));
  }
  return VENDOR_DIR;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`assets: ${vendorAssets()} (${VENDORED.map((p) => p.into).join(", ")})`);
}
