import { describe, expect, test } from "bun:test";
import { formatDuration, parseDuration } from "../../src/core/duration.ts";

describe("parseDuration", () => {
  test.each([
    ["30d", 30 * 86_400_000],
    ["12h", 12 * 3_600_000],
    ["90m", 90 * 60_000],
    ["45s", 45_000],
    ["2w", 14 * 86_400_000],
    ["P30D", 30 * 86_400_000],
    ["PT12H", 12 * 3_600_000],
    ["P1DT2H", 26 * 3_600_000],
    ["p1w", 7 * 86_400_000],
  ])("%s", (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(["", "30", "d", "30x", "-1d", "1.5d", "P", "PT", "30 days", "P1Y"])("rejects %p", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  test("formats back to the largest whole unit", () => {
    expect(formatDuration(30 * 86_400_000)).toBe("30d");
    expect(formatDuration(14 * 86_400_000)).toBe("2w");
    expect(formatDuration(90 * 60_000)).toBe("90m");
  });
});
