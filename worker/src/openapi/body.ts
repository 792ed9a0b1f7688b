/**
 * A body a route's middleware has already read (under its size cap, with the reference service's checks in
 * their order), handed to the route's validators through Hono's body cache, so the body is read once and
 * validated by the same declaration that documents it.
 */
import type { Context } from "hono";

/**
 * @example
 * rememberJson(c, fields); // the JSON validator now validates `fields`
 */
export function rememberJson(c: Context, body: unknown): void {
  // Hono's JSON reader takes its text from the cache (as a promise).
  c.req.bodyCache.text = Promise.resolve(JSON.stringify(body)) as unknown as string;
}

/**
 * @example
 * rememberForm(c, form); // the form validator now validates `form`
 */
export function rememberForm(c: Context, form: FormData): void {
  c.req.bodyCache.formData = Promise.resolve(form) as unknown as FormData;
}
