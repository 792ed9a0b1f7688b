import { describe, expect, it } from "vitest";
import {
  containerFailed,
  containerTimeout,
  misconfigured,
  overloaded,
  RETRY_AFTER_MISCONFIGURED_S,
  RETRY_AFTER_OVERLOADED_S,
  RETRY_AFTER_UNAVAILABLE_S,
  retryAfter,
  unavailable,
} from "./errors.ts";

describe("answers that ask a caller to come back", () => {
  it("carry Retry-After in whole seconds", () => {
    expect(retryAfter(5)).toEqual({ "Retry-After": "5" });
    expect(retryAfter(300)).toEqual({ "Retry-After": "300" });
  });

  it("say the same wait in the header and in the body's retry_after_seconds", () => {
    const cases = [
      [overloaded(), 503, "overloaded", RETRY_AFTER_OVERLOADED_S],
      [unavailable(), 503, "container_unavailable", RETRY_AFTER_UNAVAILABLE_S],
      [unavailable({ retryAfterS: 30 }), 503, "container_unavailable", 30],
      [containerFailed(), 503, "container_failed", RETRY_AFTER_UNAVAILABLE_S],
      [containerTimeout(30_000), 504, "container_timeout", RETRY_AFTER_UNAVAILABLE_S],
      [misconfigured(), 503, "misconfigured", RETRY_AFTER_MISCONFIGURED_S],
    ] as const;
    for (const [error, status, code, seconds] of cases) {
      expect({ status: error.status, code: error.code }, code).toEqual({ status, code });
      expect(error.headers, code).toEqual({ "Retry-After": String(seconds) });
      expect(error.extra.retry_after_seconds, code).toBe(seconds);
    }
  });

  it("overloaded: the container's 503 in the API's words, its cause for the log only", () => {
    const cause = new Error("queue full (8 waiting)");
    const error = overloaded({ cause });
    expect(error.cause).toBe(cause);
    expect(RETRY_AFTER_OVERLOADED_S).toBe(1);
    expect(error.toEnvelope("r1")).toEqual({
      detail: { retry_after_seconds: 1, error: "Server is busy, please retry", code: "overloaded", request_id: "r1" },
    });
  });
});
