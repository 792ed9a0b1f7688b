/**
 * Reading the repository's docs, for the tests that hold them to the code (docs.test.ts, readme.test.ts).
 */
import { readFileSync } from "node:fs";

/** A file of the repository, by its path from the root. */
export const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

/** The part of a markdown page from a heading to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`${heading}\n`);
  if (start === -1) throw new Error(`no heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const next = new RegExp(`^#{1,${level}} `, "m").exec(markdown.slice(start + heading.length));
  return markdown.slice(start, next ? start + heading.length + next.index : undefined);
}
