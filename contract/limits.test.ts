/**
 * The limits every side reads (the Worker's and the container's defaults, the CLI's plan): the sizes the
 * reference promised, in bytes.
 */
import { describe, expect, it } from "vitest";
import { MAX_JOB_ITEMS, MAX_JOB_UPLOAD_BYTES, MAX_UPLOAD_BYTES } from "./limits.ts";

describe("the API's default limits", () => {
  it("are the reference's 5 MiB a file, 1,000 items and 100 MiB a job", () => {
    expect({ MAX_UPLOAD_BYTES, MAX_JOB_ITEMS, MAX_JOB_UPLOAD_BYTES }).toEqual({
      MAX_UPLOAD_BYTES: 5_242_880,
      MAX_JOB_ITEMS: 1_000,
      MAX_JOB_UPLOAD_BYTES: 104_857_600,
    });
  });
});
