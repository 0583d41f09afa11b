import { describe, expect, test } from "bun:test";
import { createCheckpoint, memoryCheckpoint } from "../../src/core/memory.ts";

const MB = 2 ** 20;

describe("memoryCheckpoint", () => {
  test("collects only once the process has grown by the step since the last collection", () => {
    let rss = 100 * MB;
    let collections = 0;
    const check = createCheckpoint(
      () => rss,
      () => collections++,
      16 * MB,
    );
    check(); // first reading: the baseline
    rss += 15 * MB;
    check();
    expect(collections).toBe(0);
    rss += 2 * MB; // 117 MB: grown by 17 MB
    check();
    expect(collections).toBe(1);
    check();
    expect(collections).toBe(1);
    rss += 16 * MB;
    check();
    expect(collections).toBe(2);
  });

  test("without a collector in the runtime it never reads memory", () => {
    let reads = 0;
    const check = createCheckpoint(() => reads++ * MB, undefined);
    for (let i = 0; i < 5; i++) check();
    expect(reads).toBe(0);
  });

  test("the real checkpoint runs under Bun without throwing", () => {
    for (let i = 0; i < 3; i++) memoryCheckpoint();
  });
});
