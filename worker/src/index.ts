/**
 * wrangler's entry: the Worker's fetch handler and the Durable Object class it binds, nothing else.
 */
import { createApp } from "./app.ts";

export { AnalysisContainer } from "./container/index.ts";

export default createApp();
