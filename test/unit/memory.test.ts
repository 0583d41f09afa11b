import { describe, expect, test } from "bun:test";
import { createCheckpoint, memoryCheckpoint } from "../../src/core/memory.ts";

const MB = 2 ** 20;

describe("memoryCheckpoint", () => {
  test("collects once the garbage reported since the last collection reaches the step", () => {
    let collections = 0;
    const check = createCheckpoint(() => collections++, 16 * MB);
    check(15 * MB);
    expect(collections).toBe(0);
    check(1 * MB); // 16 MB reported
    expect(collections).toBe(1);
    check(0);
    check(15 * MB);
    expect(collections).toBe(1);
    check(2 * MB);
    expect(collections).toBe(2);
  });

  test("one report larger than the step collects once, not once per step", () => {
    let collections = 0;
    const check = createCheckpoint(() => collections++, 16 * MB);
    check(100 * MB);
    expect(collections).toBe(1);
    check(15 * MB);
    expect(collections).toBe(1);
  });

  test("a small run never collects", () => {
    let collections = 0;
    const check = createCheckpoint(() => collections++, 16 * MB);
    // A page of 100 volumes (32 KB each) and the JSON of a 100-action plan.
    check(100 * 32 * 1024);
    check(300_000 * 6);
    expect(collections).toBe(0);
  });

  test("without a collector in the runtime it does nothing", () => {
    const check = createCheckpoint(undefined, 1);
    for (let i = 0; i < 5; i++) check(10 * MB);
  });

  test("the real checkpoint runs under Bun without throwing", () => {
    for (let i = 0; i < 3; i++) memoryCheckpoint(20 * MB);
  });
});
