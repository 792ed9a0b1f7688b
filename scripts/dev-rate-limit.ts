/**
 * The rate limit under `npm run dev`: wrangler.toml's own (`[[ratelimits]]`, 120 a minute per client), which
 * Miniflare enforces as Cloudflare does, or `DEV_RATE_LIMIT_PER_MINUTE` for a developer's loops.
 *
 * wrangler 4.156 takes a binding's settings from its config file only: `wrangler dev` has no flag for a rate
 * limit (`--var` sets variables, not bindings), and an `[env.dev]` would have to repeat every binding, since
 * `ratelimits`, like every binding, is not inherited by an environment. So dev runs wrangler on a copy of
 * wrangler.toml with that one number changed, written beside it (`wrangler.dev-<N>.toml`, git-ignored): relative
 * paths (`main`, `[assets]`, `[build]`, the Dockerfile), `.dev.vars` and `.wrangler/state` resolve from the
 * config file's folder, so they stay what they are.
 *
 * Miniflare counts in windows aligned to the clock (each whole minute) and keeps the counts on disk, in
 * `.wrangler/state/v3/ratelimit`: a restart within the same minute does not reset them; deleting that folder
 * (dev stopped) does.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";

/** The binding whose limit dev may change. */
const BINDING = "RATE_LIMITER";
/** The window DEV_RATE_LIMIT_PER_MINUTE counts in, in seconds: wrangler.toml's must be the same. */
const MINUTE_S = 60;
/** The one line that sets the binding's limit: `simple = { limit = 120, period = 60 }`. */
const SIMPLE_LINE = /^simple = \{ limit = (\d+), period = (\d+) \}$/m;

interface RateLimits {
  ratelimits?: Array<{ name?: string; simple?: { limit?: number; period?: number } }>;
}

/**
 * RATE_LIMITER's limit and period (in seconds) as a wrangler config's text sets them, or null.
 *
 * @example
 * rateLimitOf(readFileSync("wrangler.toml", "utf8")); // { limit: 120, period: 60 }
 */
export function rateLimitOf(tomlText: string): { limit: number; period: number } | null {
  const simple = (parse(tomlText) as RateLimits).ratelimits?.find((r) => r.name === BINDING)?.simple;
  return simple?.limit !== undefined && simple.period !== undefined
    ? { limit: simple.limit, period: simple.period }
    : null;
}

/**
 * `DEV_RATE_LIMIT_PER_MINUTE`: null when unset or empty, else a whole number of requests of at least 1.
 *
 * @example
 * devRateLimit("1000"); // 1000
 */
export function devRateLimit(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(
      `Expected a whole number of requests of at least 1 for DEV_RATE_LIMIT_PER_MINUTE but received ${raw}`,
    );
  }
  return value;
}

/**
 * wrangler.toml's text with RATE_LIMITER's limit set to `perMinute`, and nothing else changed (checked: the copy
 * parses to the same settings but for that number).
 *
 * @example
 * withRateLimit(readFileSync("wrangler.toml", "utf8"), 1000); // "…simple = { limit = 1000, period = 60 }…"
 */
export function withRateLimit(tomlText: string, perMinute: number): string {
  const block = tomlText.indexOf(`name = "${BINDING}"`);
  const line = block === -1 ? null : SIMPLE_LINE.exec(tomlText.slice(block));
  if (!line || line.index === undefined) {
    throw new Error(
      `Expected [[ratelimits]] ${BINDING} with a line like simple = { limit = 120, period = 60 } in wrangler.toml but received none`,
    );
  }
  if (Number(line[2]) !== MINUTE_S) {
    throw new Error(
      `Expected [[ratelimits]] ${BINDING} period = ${MINUTE_S} in wrangler.toml for DEV_RATE_LIMIT_PER_MINUTE but received ${line[2]}`,
    );
  }
  const at = block + line.index;
  const copy = `${tomlText.slice(0, at)}simple = { limit = ${perMinute}, period = ${MINUTE_S} }${tomlText.slice(at + line[0].length)}`;
  const expected = parse(tomlText) as RateLimits;
  const limiter = expected.ratelimits?.find((r) => r.name === BINDING);
  if (limiter?.simple) limiter.simple.limit = perMinute;
  if (JSON.stringify(parse(copy)) !== JSON.stringify(expected)) {
    throw new Error(`Expected only ${BINDING}'s limit to change in the dev copy of wrangler.toml but received more`);
  }
  return copy;
}

/**
 * Writes the copy of `<root>/wrangler.toml` with this limit beside it and returns its path, for `wrangler dev
 * --config`. One file per limit: two dev servers with different limits never rewrite each other's (wrangler dev
 * reloads when its config file changes).
 *
 * @example
 * writeDevConfig("/repo", 1000); // "/repo/wrangler.dev-1000.toml"
 */
export function writeDevConfig(root: string, tomlText: string, perMinute: number): string {
  const path = join(root, `wrangler.dev-${perMinute}.toml`);
  const header = `# Written by npm run dev (scripts/dev-rate-limit.ts) for DEV_RATE_LIMIT_PER_MINUTE=${perMinute}: wrangler.toml with\n# RATE_LIMITER's limit changed, nothing else. Edit wrangler.toml instead; this file is rewritten at each start.\n`;
  writeFileSync(path, header + withRateLimit(tomlText, perMinute));
  return path;
}
