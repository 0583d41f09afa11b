import { describe, expect, test } from "bun:test";
import { ApiBudget, type Clock, TokenBucket } from "../../src/providers/aws/budget.ts";
import { ec2Bucket } from "../../src/providers/aws/ec2-buckets.ts";

/** Virtual time: sleeping advances the clock at once, so minutes of limiting take no real time. */
function fakeClock(): Clock & { t: number; grants: number[] } {
  const c = {
    t: 0,
    grants: [] as number[],
    now: () => c.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
      c.t += ms;
    },
  };
  return c;
}

const del = { account: "111122223333", region: "us-east-1", service: "ec2", operation: "DeleteVolume" };

describe("token bucket (injected clock)", () => {
  test("a full bucket serves its capacity at once, then one token per 1/rate", async () => {
    const clock = fakeClock();
    const b = new TokenBucket(10, 2, clock);
    for (let i = 0; i < 10; i++) expect(await b.take()).toBe(0);
    expect(clock.t).toBe(0);
    expect(await b.take()).toBe(500);
    expect(await b.take()).toBe(500);
    expect(clock.t).toBe(1000);
  });

  test("refills while idle, never beyond capacity", async () => {
    const clock = fakeClock();
    const b = new TokenBucket(4, 1, clock);
    for (let i = 0; i < 4; i++) await b.take();
    clock.t += 60_000;
    for (let i = 0; i < 4; i++) expect(await b.take()).toBe(0);
    expect(await b.take()).toBe(1000);
  });

  test("concurrent callers are served in arrival order and never faster than the bucket allows", async () => {
    const clock = fakeClock();
    const b = new TokenBucket(5, 5, clock);
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        b.take().then(() => {
          order.push(i);
          clock.grants.push(clock.t);
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // In any window [t, t+w], at most capacity + rate*w grants.
    for (const start of clock.grants) {
      const inWindow = clock.grants.filter((g) => g >= start && g <= start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(5 + 5);
    }
    expect(clock.t).toBe(7000); // (40 - 5) / 5 per s
  });

  test("empty() after a throttle makes the next call wait a full refill interval", async () => {
    const clock = fakeClock();
    const b = new TokenBucket(10, 4, clock);
    await b.take();
    b.empty();
    expect(await b.take()).toBe(250);
  });

  test("an abort while waiting rejects; the call is never granted", async () => {
    const clock = fakeClock();
    const b = new TokenBucket(1, 1, clock);
    await b.take();
    const ac = new AbortController();
    ac.abort();
    await expect(b.take(ac.signal)).rejects.toThrow("aborted");
  });
});

describe("EC2's published buckets", () => {
  test("DeleteVolume and CreateSnapshot have their own 100 / 5 buckets", () => {
    expect(ec2Bucket("DeleteVolume", false).spec).toEqual({ capacity: 100, refillPerSecond: 5 });
    expect(ec2Bucket("CreateSnapshot", false).spec).toEqual({ capacity: 100, refillPerSecond: 5 });
  });
  test("DescribeVolumes: 100 / 20 filtered or paged, a separate 50 / 10 bucket otherwise", () => {
    expect(ec2Bucket("DescribeVolumes", true)).toEqual({ key: "DescribeVolumes", spec: { capacity: 100, refillPerSecond: 20 } });
    expect(ec2Bucket("DescribeVolumes", false)).toEqual({ key: "DescribeVolumes (unfiltered)", spec: { capacity: 50, refillPerSecond: 10 } });
  });
  test("other calls fall back to their category", () => {
    expect(ec2Bucket("DescribeRegions", false).spec).toEqual({ capacity: 100, refillPerSecond: 20 });
    expect(ec2Bucket("AttachVolume", false).spec).toEqual({ capacity: 50, refillPerSecond: 5 });
  });
});

describe("API budget", () => {
  test("by default takes half of DeleteVolume's bucket: 1000 deletions take (1000 - 50) / 2.5 s", async () => {
    const clock = fakeClock();
    const budget = new ApiBudget({ share: 0.5, operations: {} }, clock);
    for (let i = 0; i < 1000; i++) await budget.acquire(del);
    expect(clock.t).toBe(380_000);
    const u = budget.usage();
    expect(u.calls).toBe(1000);
    expect(u.operations[0]?.limit).toEqual({ capacity: 50, refillPerSecond: 2.5 });
    expect(u.waitedMs).toBeGreaterThan(0);
  });

  test("share 1 uses the whole bucket: (1000 - 100) / 5 s", async () => {
    const clock = fakeClock();
    const budget = new ApiBudget({ share: 1, operations: {} }, clock);
    await Promise.all(Array.from({ length: 1000 }, () => budget.acquire(del)));
    expect(clock.t).toBe(180_000);
  });

  test("per-operation overrides: a raised bucket and its own share", async () => {
    const clock = fakeClock();
    const budget = new ApiBudget({ share: 0.5, operations: { "ec2:DeleteVolume": { capacity: 10, refillPerSecond: 10, share: 1 } } }, clock);
    for (let i = 0; i < 20; i++) await budget.acquire(del);
    expect(clock.t).toBe(1000);
  });

  test("buckets are per account, region and operation; DryRuns share the real call's bucket and are counted", async () => {
    const clock = fakeClock();
    const budget = new ApiBudget({ share: 1, operations: {} }, clock);
    for (let i = 0; i < 100; i++) await budget.acquire({ ...del, input: { VolumeId: "vol-1", DryRun: true } });
    expect(clock.t).toBe(0);
    await budget.acquire({ ...del, account: "444455556666" });
    await budget.acquire({ ...del, region: "eu-west-1" });
    await budget.acquire({ ...del, operation: "CreateSnapshot" });
    expect(clock.t).toBe(0);
    await budget.acquire(del); // the 101st on the same bucket waits
    expect(clock.t).toBe(200);
    const op = budget.usage().operations.find((o) => o.operation === "DeleteVolume");
    expect(op?.calls).toBe(103);
    expect(op?.dryRunCalls).toBe(100);
  });

  test("a throttle answer is counted and empties the bucket", async () => {
    const clock = fakeClock();
    const budget = new ApiBudget({ share: 0.5, operations: {} }, clock);
    await budget.acquire(del);
    budget.throttled(del);
    await budget.acquire(del);
    expect(clock.t).toBe(400);
    expect(budget.usage().throttled).toBe(1);
  });

  test("services without published buckets are counted, not limited", async () => {
    const clock = fakeClock();
    const budget = new ApiBudget({ share: 0.5, operations: {} }, clock);
    for (let i = 0; i < 500; i++) await budget.acquire({ ...del, service: "sts", operation: "GetCallerIdentity" });
    expect(clock.t).toBe(0);
    expect(budget.usage().operations[0]).toEqual({ service: "sts", operation: "GetCallerIdentity", calls: 500, throttled: 0, waitedMs: 0 });
  });
});
