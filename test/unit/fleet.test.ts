import { describe, expect, test } from "bun:test";
import { fleetExit, type ScopeEnd } from "../../src/core/fleet/exit.ts";
import { FLEET_PLAN_SCHEMA_ID, fleetDigest, sealFleetPlan, sealSection, sectionDigest } from "../../src/core/fleet/plan.ts";
import { runPool } from "../../src/core/fleet/pool.ts";
import { usageOf } from "../../src/core/usage.ts";
import { ApiBudget } from "../../src/providers/aws/budget.ts";
import { runBudget } from "../../src/providers/aws/context.ts";

const end = (status: ScopeEnd["status"], exit: ScopeEnd["exit"], missing = false): ScopeEnd => ({ status, exit, ...(missing ? { missing } : {}) });

describe("fleetExit: one exit code across scopes (README 'Exit codes across scopes')", () => {
  test("0: every scope ok or no-op (read-only scopes skipped at apply count as ok)", () => {
    expect(fleetExit([end("applied", "ok"), end("no-op", "ok"), end("skipped", "ok")])).toBe("ok");
    expect(fleetExit([end("no-op", "ok"), end("no-op", "ok")])).toBe("ok");
  });
  test("10: every scope planned cleanly and one has changes", () => {
    expect(fleetExit([end("planned", "changes"), end("no-op", "ok")])).toBe("changes");
  });
  test("5 wins over 10: a dry run missing a scope is never a complete plan", () => {
    expect(fleetExit([end("planned", "changes"), end("failed", "remote")])).toBe("partial");
    expect(fleetExit([end("no-op", "ok"), end("locked", "remote")])).toBe("partial");
    expect(fleetExit([end("planned", "changes"), end("skipped", "remote", true)])).toBe("partial");
  });
  test("5: some scopes applied and one failed, or one applied in part", () => {
    expect(fleetExit([end("applied", "ok"), end("failed", "validation")])).toBe("partial");
    expect(fleetExit([end("applied", "ok"), end("partial", "partial")])).toBe("partial");
    expect(fleetExit([end("partial", "partial")])).toBe("partial");
  });
  test("every scope failed: their code (2, 3 or 4), or the first of 1, 2, 3, 4 when they differ", () => {
    expect(fleetExit([end("failed", "usage"), end("failed", "usage")])).toBe("usage");
    expect(fleetExit([end("failed", "validation")])).toBe("validation");
    expect(fleetExit([end("failed", "remote"), end("locked", "remote"), end("skipped", "remote", true)])).toBe("remote");
    expect(fleetExit([end("failed", "remote"), end("failed", "validation")])).toBe("validation");
    expect(fleetExit([end("failed", "remote"), end("failed", "internal")])).toBe("internal");
  });
  test("130: interrupted, whatever else happened", () => {
    expect(fleetExit([end("applied", "ok"), end("interrupted", "interrupted")])).toBe("interrupted");
    expect(fleetExit([end("applied", "ok"), end("skipped", "interrupted", true)])).toBe("interrupted");
  });
});

describe("multi-scope plan digests", () => {
  const section = (name: string, n: number) =>
    sealSection({
      name,
      target: name.split("/")[0] as string,
      kind: "aws",
      mode: "write",
      tags: {},
      scope: { environment: "staging", region: "us-east-1", account: "111111111111" },
      identity: { account: "111111111111", callerArn: "arn:aws:sts::111111111111:assumed-role/opsctl/s", roles: [] },
      status: "planned",
      plan: null,
      errors: Array.from({ length: n }, (_, i) => ({ code: "remote", message: `e${i}` })),
    });
  const plan = (scopes: ReturnType<typeof section>[]) =>
    sealFleetPlan({
      schema: FLEET_PLAN_SCHEMA_ID,
      command: "cleanup-volumes",
      createdAt: "2026-12-01T00:00:00.000Z",
      version: "0.1.0",
      producer: { command: "cleanup-volumes", version: "1.0.0", sourceDigest: "source" },
      selection: { environment: "staging", names: [], tags: {}, source: "config", blocked: [] },
      scopes,
    });

  test("the top digest covers the sorted section digests, not their order", () => {
    const a = section("a/us-east-1", 0);
    const b = section("b/us-east-1", 1);
    expect(plan([a, b]).digest).toBe(plan([b, a]).digest);
    expect(plan([a]).digest).not.toBe(plan([a, b]).digest);
  });
  test("an edited section no longer matches its recorded digest; an edited digest list breaks the top digest", () => {
    const a = section("a/us-east-1", 0);
    const b = section("b/us-east-1", 0);
    const p = plan([a, b]);
    const edited = { ...a, status: "no-op" as const };
    expect(sectionDigest(edited)).not.toBe(edited.digest);
    const forged = { ...p, scopes: [{ ...edited, digest: sectionDigest(edited) }, b] };
    expect(fleetDigest(forged)).not.toBe(p.digest);
    expect(fleetDigest(p)).toBe(p.digest);
  });
});

describe("runPool", () => {
  const never = new AbortController().signal;
  test("at most max at once, results in input order", async () => {
    let running = 0;
    let peak = 0;
    const r = await runPool([1, 2, 3, 4, 5], { max: 2, signal: never, failed: () => false }, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((res) => setTimeout(res, 5 * (6 - n)));
      running--;
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(r.results).toEqual([10, 20, 30, 40, 50]);
    expect(r.stoppedBy).toBeUndefined();
  });
  test("after maxFailed failures nothing new starts; what runs finishes", async () => {
    const started: number[] = [];
    const r = await runPool<number, number>([1, 2, 3, 4], { max: 1, maxFailed: 1, signal: never, failed: (x) => x < 0 }, async (n) => {
      started.push(n);
      return n === 2 ? -1 : n;
    });
    expect(started).toEqual([1, 2]);
    expect(r.results).toEqual([1, -1, undefined, undefined]);
    expect(r.stoppedBy).toBe("max-failed");
  });
  test("an aborted signal starts nothing new", async () => {
    const ac = new AbortController();
    const r = await runPool([1, 2, 3], { max: 1, signal: ac.signal, failed: () => false }, async (n) => {
      if (n === 1) ac.abort();
      return n;
    });
    expect(r.results).toEqual([1, undefined, undefined]);
    expect(r.stoppedBy).toBe("signal");
  });
});

describe("one API budget for every scope of a run", () => {
  const ctx = (account: string, region: string, budget: ApiBudget) =>
    ({
      deps: { binding: { name: `${account}/${region}`, budget }, signal: new AbortController().signal },
      config: { aws: { apiBudget: { share: 0.5, operations: {} } } },
      scope: { environment: "staging", region, account },
    }) as unknown as Parameters<typeof runBudget>[0];

  test("scopes share the run's buckets (per account and region) and each reports only its own calls", async () => {
    const shared = new ApiBudget({ share: 0.5, operations: {} });
    const a1 = ctx("111111111111", "us-east-1", shared);
    const a2 = ctx("111111111111", "us-east-1", shared);
    const b = ctx("222222222222", "eu-west-1", shared);
    expect(runBudget(a1)).toBe(shared);
    expect(runBudget(b)).toBe(shared);
    // Two scopes in one account and region draw from one DeleteVolume bucket (EC2: 100 tokens, ½ share = 50).
    const key = (account: string, region: string) => ({ account, region, service: "ec2", operation: "DeleteVolume" });
    for (let i = 0; i < 25; i++) await runBudget(a1).acquire(key("111111111111", "us-east-1"));
    for (let i = 0; i < 25; i++) await runBudget(a2).acquire(key("111111111111", "us-east-1"));
    await runBudget(b).acquire(key("222222222222", "eu-west-1"));
    expect(shared.limitFor(key("111111111111", "us-east-1"))).toEqual({ capacity: 50, refillPerSecond: 2.5 });
    // The 51st call in that account and region would wait: the bucket is the account's, not the scope's.
    await runBudget(a2).acquire(key("111111111111", "us-east-1"));
    expect(usageOf(a2)?.operations.find((o) => o.operation === "DeleteVolume")?.waitedMs).toBeGreaterThan(0);
    expect(usageOf(b)?.waitedMs).toBe(0);
    expect(usageOf(b)?.calls).toBe(1);
    expect(usageOf(a1)?.calls).toBe(51);
  });
});
