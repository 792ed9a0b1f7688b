/**
 * The internal headers the Worker's analyzer client (client.ts) sends and its Durable Object
 * (durable-object.ts) reads. The container never sees them; the headers the container reads too (request ID,
 * priority) are in contract/service.ts.
 */

/** Internal header from the Worker: the result's cache key, which is also the coalescing key. */
export const RESULT_KEY_HEADER = "X-Result-Key";
/**
 * Internal header from the Worker: the result's ETag, stored beside it. Absent means "do not store": the
 * image's server forbade caching (`no-store`, `private`), which keeps the result out of every cache.
 */
export const RESULT_ETAG_HEADER = "X-Result-ETag";
