/**
 * The CLI's `--duplicates` file: each job's groups with their indexes turned into places among all the images, in
 * the API's order.
 */
import { describe, expect, it } from "vitest";
import { DuplicatesSchema } from "../../../contract/duplicates.ts";
import { mergeDuplicates } from "./cli.ts";

describe("mergeDuplicates", () => {
  it("maps each job's indexes to the images' places and orders the groups by their first image, exact first", () => {
    const urls = {
      groups: [
        {
          kind: "exact" as const,
          items: [
            { index: 0, id: "u0" },
            { index: 1, id: "u1" },
          ],
          max_distance: 0,
        },
      ],
      threshold: 8,
      compared: 2,
    };
    const files = {
      groups: [
        {
          kind: "exact" as const,
          items: [
            { index: 0, id: "f0" },
            { index: 2, id: "f2" },
          ],
          max_distance: 0,
        },
        {
          kind: "near" as const,
          items: [
            { index: 0, id: "f0" },
            { index: 1, id: "f1" },
            { index: 2, id: "f2" },
          ],
          max_distance: 3,
        },
      ],
      threshold: 8,
      compared: 3,
    };
    // The URLs' job holds images 4 and 2 of the arguments; the files' job images 1, 3 and 0.
    const merged = mergeDuplicates(
      [urls, files],
      [
        [4, 2],
        [1, 3, 0],
      ],
    );
    expect(DuplicatesSchema.parse(merged)).toEqual({
      groups: [
        {
          kind: "exact",
          items: [
            { index: 0, id: "f2" },
            { index: 1, id: "f0" },
          ],
          max_distance: 0,
        },
        {
          kind: "near",
          items: [
            { index: 0, id: "f2" },
            { index: 1, id: "f0" },
            { index: 3, id: "f1" },
          ],
          max_distance: 3,
        },
        {
          kind: "exact",
          items: [
            { index: 2, id: "u1" },
            { index: 4, id: "u0" },
          ],
          max_distance: 0,
        },
      ],
      threshold: 8,
      compared: 5,
    });
  });

  it("is an empty answer for no jobs' groups", () => {
    expect(mergeDuplicates([{ groups: [], threshold: 8, compared: 0 }], [[]])).toEqual({
      groups: [],
      threshold: 8,
      compared: 0,
    });
  });
});
