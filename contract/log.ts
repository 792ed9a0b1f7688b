/**
 * The log line both programs write: one JSON object per line, flat snake_case fields, the `request_id` that
 * ties a Worker line to its container line. One format so `wrangler tail` and a log pipeline read both alike.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type LogLevel = "info" | "warn" | "error";
export type Logger = (level: LogLevel, msg: string, fields?: LogFields) => void;

/**
 * @example
 * const log = createLogger("worker");
 * log("info", "request", { request_id: "r1", status: 200, duration_ms: 12.3 });
 */
export function createLogger(side: "worker" | "container"): Logger {
  return (level, msg, fields = {}) => {
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, side, ...fields });
    if (level === "error") console.error(line);
    else console.log(line);
  };
}

/** A cause as one line for the log (name and message): for operators, never sent to a caller. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
