import { beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { CreateVolumeCommand } from "@aws-sdk/client-ec2";
import { mapLimit } from "../../src/core/concurrency.ts";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { FaultProxy } from "../support/fault-proxy.ts";
import { Moto } from "../support/moto.ts";

// The API budget against a real moto server behind the fault proxy, which pages
// DescribeVolumes (moto ignores MaxResults) and throttles like EC2 (a token bucket per
// API, RequestLimitExceeded when empty). The compiled binary, its JSON result and the
// volumes left are checked.

const moto = new Moto();

beforeEach(() => moto.reset());

/** n volumes of one age and tag set, created together (the clock file is global to moto). */
async function volumes(n: number, ageDays: number, tags: Record<string, string>): Promise<string[]> {
  writeFileSync(moto.p.MOTO_CLOCK_FILE, `-${ageDays}d\n`);
  try {
    return await mapLimit(Array.from({ length: n }), 8, async () => {
      const r = await moto.ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: "us-east-1a",
          Size: 8,
          VolumeType: "gp3",
          TagSpecifications: [{ ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
        }),
      );
      return r.VolumeId as string;
    });
  } finally {
    writeFileSync(moto.p.MOTO_CLOCK_FILE, "+0\n");
  }
}

async function withProxy<T>(fn: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await new FaultProxy(moto.url).start();
  try {
    return await fn(proxy);
  } finally {
    proxy.stop();
  }
}

type Op = { service: string; operation: string; calls: number; throttled: number; dryRunCalls?: number; waitedMs: number };
const opOf = (j: { apiCalls?: { operations: Op[] } }, operation: string) => j.apiCalls?.operations.find((o) => o.operation === operation);

describe("pagination", () => {
  test("DescribeVolumes answered in pages of 7: discovery follows NextToken and plans every candidate", () =>
    withProxy(async (proxy) => {
      const staging = await volumes(23, 90, { Environment: "staging" });
      await volumes(9, 90, { Environment: "prod" });
      proxy.pageDescribeVolumes = 7;
      const { dir, env } = workspace(proxy.url, "guardrails:\n  maxDeletions: 100\n");
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"], { cwd: dir, env });
      expect(r.code).toBe(10);
      expect(r.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id).sort()).toEqual([...staging].sort());
      const pages = () => proxy.seen.filter((s) => s.operation === "DescribeVolumes" && !s.dryRun);
      // One filtered listing: the environment's available volumes (23).
      expect(pages().filter((s) => !s.body.includes("NextToken")).length).toBe(1);
      expect(pages().length).toBe(Math.ceil(23 / 7));
      expect(pages().every((s) => s.body.includes("MaxResults="))).toBe(true);
      expect(opOf(r.json, "DescribeVolumes")?.calls).toBe(pages().length);

      // Near-miss discovery (--verbose) lists twice: the environment's volumes (23) and all available ones (32).
      proxy.seen.length = 0;
      const v = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", "--verbose"], { cwd: dir, env });
      expect(v.code).toBe(10);
      expect(v.json.plan.actions.length).toBe(23);
      expect(v.json.plan.skipped.filter((s: { category: string }) => s.category === "out-of-scope").length).toBe(9);
      expect(pages().filter((s) => !s.body.includes("NextToken")).length).toBe(2);
      expect(pages().length).toBe(Math.ceil(23 / 7) + Math.ceil(32 / 7));
      expect(opOf(v.json, "DescribeVolumes")?.calls).toBe(pages().length);
    }));
});

describe("validation by authorization context", () => {
  test("one DryRun per distinct context; per-action mode sends one per volume; ignored tags merge contexts", () =>
    withProxy(async (proxy) => {
      const data = await volumes(6, 90, { Environment: "staging", team: "data" });
      const web = await volumes(5, 90, { Environment: "staging", team: "web" });
      const named = [
        ...(await volumes(1, 90, { Environment: "staging", team: "web", Name: "a" })),
        ...(await volumes(1, 90, { Environment: "staging", team: "web", Name: "b" })),
      ];
      const dryRuns = () => proxy.seen.filter((x) => x.operation === "DeleteVolume" && x.dryRun);
      const run = async (extra: string[], config = "") => {
        proxy.seen.length = 0;
        const { dir, env } = workspace(proxy.url, config);
        const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", ...extra], { cwd: dir, env });
        expect(r.code).toBe(10);
        return r.json;
      };

      const j = await run([]);
      // data, web, and the two Name-tagged web volumes are four contexts.
      expect(dryRuns().length).toBe(4);
      expect(opOf(j, "DeleteVolume")?.dryRunCalls).toBe(4);
      const checks = Object.fromEntries(
        j.plan.actions.map((a: { resource: { id: string }; checks: { name: string; detail: string }[] }) => [
          a.resource.id,
          a.checks.find((c) => c.name === "ec2:DeleteVolume DryRun")?.detail,
        ]),
      );
      const probed = new Set(dryRuns().map((x) => /VolumeId=([^&]+)/.exec(x.body)?.[1]));
      for (const id of [...data, ...web, ...named]) {
        const detail = checks[id] as string;
        if (probed.has(id)) expect(detail).toStartWith("DryRunOperation: the call would succeed (authorization context #");
        else expect(detail).toMatch(/^covered by the DryRun of vol-[0-9a-f]+ with the same authorization context \(#\d\)$/);
      }
      expect(j.plan.checks.find((c: { name: string }) => c.name === "ec2 DryRun validation").detail).toStartWith("4 DryRun call(s) for 13 action(s)");

      await run([], "validation:\n  ignoreTags: [Name]\n");
      expect(dryRuns().length).toBe(2);

      await run(["--validation-mode", "per-action"]);
      expect(dryRuns().length).toBe(13);
    }));
});

describe("throttling: the proxy enforces a DeleteVolume bucket of 4 tokens refilled at 2/s", () => {
  const buckets = {
    DeleteVolume: { capacity: 4, refillPerSecond: 2 },
    DescribeVolumes: { capacity: 100, refillPerSecond: 20 },
    "DescribeVolumes (unfiltered)": { capacity: 50, refillPerSecond: 10 },
  };

  test("opsctl told that bucket takes half of it: 10 deletions at --concurrency 8, zero RequestLimitExceeded, paced by the limiter", () =>
    withProxy(async (proxy) => {
      const ids = await volumes(10, 90, { Environment: "staging" });
      proxy.enforceBuckets(buckets);
      const { dir, env } = workspace(proxy.url);
      // Told the bucket the proxy enforces (as for an account whose limits AWS changed), default share.
      writeFileSync(
        `${dir}/opsctl.config.yaml`,
        `region: us-east-1\naws:\n  endpoint: ${proxy.url}\n  maxAttempts: 2\n  requestTimeout: 10s\n  apiBudget:\n    operations:\n      "ec2:DeleteVolume": { capacity: 4, refillPerSecond: 2 }\nguardrails:\n  maxDeletions: 100\n`,
      );
      const started = performance.now();
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "8", "--format", "json"], { cwd: dir, env });
      const seconds = (performance.now() - started) / 1000;
      expect(r.code).toBe(0);
      expect(r.json.summary).toMatchObject({ planned: 10, applied: 10, failed: 0 });
      expect(proxy.throttled).toBe(0);
      expect(r.json.apiCalls.throttled).toBe(0);
      const del = opOf(r.json, "DeleteVolume") as Op;
      expect(del.calls).toBe(proxy.seen.filter((s) => s.operation === "DeleteVolume").length);
      // Half the bucket: 2 tokens at once, then 1/s, for every DeleteVolume call (DryRuns included).
      const minimum = (del.calls - 2) / 1;
      expect(seconds).toBeGreaterThan(minimum * 0.95);
      expect(del.waitedMs).toBeGreaterThan(0);
      const left = await moto.volumeIds();
      expect(ids.filter((id) => left.includes(id))).toEqual([]);
    }));

  test("control: opsctl told a bucket far larger than the real one is throttled, and counts every RequestLimitExceeded", () =>
    withProxy(async (proxy) => {
      await volumes(10, 90, { Environment: "staging" });
      proxy.enforceBuckets(buckets);
      const { dir, env } = workspace(proxy.url);
      writeFileSync(
        `${dir}/opsctl.config.yaml`,
        `region: us-east-1\naws:\n  endpoint: ${proxy.url}\n  maxAttempts: 2\n  requestTimeout: 10s\n  apiBudget:\n    share: 1\n    operations:\n      "ec2:DeleteVolume": { capacity: 1000, refillPerSecond: 1000 }\nguardrails:\n  maxDeletions: 100\n`,
      );
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "8", "--format", "json"], { cwd: dir, env });
      expect(proxy.throttled).toBeGreaterThan(0);
      const del = opOf(r.json, "DeleteVolume") as Op;
      expect(del.throttled).toBe(proxy.seen.filter((s) => s.operation === "DeleteVolume" && s.fault === "throttled").length);
    }));
});
