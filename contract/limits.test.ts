/**
 * The contract's limits are the defaults the Worker and the container enforce: a client that plans by them never
 * sends a job or a file that a default deployment refuses.
 */
import { describe, expect, it } from "vitest";
import * as container from "../container/src/config.ts";
import * as worker from "../worker/src/config.ts";
import { MAX_JOB_ITEMS, MAX_JOB_UPLOAD_BYTES, MAX_UPLOAD_BYTES } from "./limits.ts";

describe("the API's default limits", () => {
  it("are the Worker's and the container's defaults", () => {
    expect({ MAX_UPLOAD_BYTES, MAX_JOB_ITEMS, MAX_JOB_UPLOAD_BYTES }).toEqual({
      MAX_UPLOAD_BYTES: 5_242_880,
      MAX_JOB_ITEMS: 1_000,
      MAX_JOB_UPLOAD_BYTES: 104_857_600,
    });
    expect(worker.MAX_UPLOAD_BYTES).toBe(MAX_UPLOAD_BYTES);
    expect(worker.MAX_JOB_ITEMS).toBe(MAX_JOB_ITEMS);
    expect(worker.MAX_JOB_UPLOAD_BYTES).toBe(MAX_JOB_UPLOAD_BYTES);
    expect(container.MAX_UPLOAD_BYTES).toBe(MAX_UPLOAD_BYTES);
  });
});
