import { describe, expect, test } from "bun:test";
import { LIVE_MAX_AGE_MS, LiveReader } from "../../src/commands/cleanup-volumes/live.ts";
import { type Criteria, selectVolumes } from "../../src/commands/cleanup-volumes/select.ts";
import { validateVolumes } from "../../src/commands/cleanup-volumes/validate.ts";
import type { Plan } from "../../src/core/plan.ts";
import { authContextKey } from "../../src/providers/aws/ec2-auth-context.ts";
import { FakeEc2, volume } from "../support/fake-ec2.ts";
import { FROZEN_NOW } from "../support/inproc.ts";

const criteria: Criteria = {
  environment: "staging",
  environmentTag: "Environment",
  olderThanMs: 30 * 86_400_000,
  olderThanText: "30d",
  include: [],
  exclude: [],
  protect: ["opsctl:protect", "true"],
  snapshotFirst: false,
  now: FROZEN_NOW,
};

const staging = { Environment: "staging" };
const vols = [
  volume("vol-a1", { tags: staging }),
  volume("vol-a2", { tags: staging }),
  volume("vol-a3", { tags: staging }),
  volume("vol-b1", { tags: { ...staging, team: "data" } }),
  volume("vol-b2", { tags: { ...staging, team: "data" } }),
  volume("vol-c1", { tags: staging, encrypted: true, kmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/k1" }),
  volume("vol-d1", { tags: staging, availabilityZone: "us-east-1b" }),
  volume("vol-e1", { tags: staging, sizeGiB: 500 }),
];

function planOf(c: Criteria = criteria): Plan {
  const { actions, skipped } = selectVolumes(vols, c, false);
  return { actions, skipped, checks: [] } as unknown as Plan;
}

const checkOf = (r: Awaited<ReturnType<typeof validateVolumes>>, id: string, name = "ec2:DeleteVolume DryRun") =>
  r.actions?.[`delete:${id}`]?.find((c) => c.name === name);

describe("validation by authorization context", () => {
  test("one DryRun per distinct context; every other action says which DryRun covered it", async () => {
    const ec2 = new FakeEc2(vols);
    const r = await validateVolumes(planOf(), ec2, "per-context");
    expect(ec2.dryRuns.sort()).toEqual(["vol-a1", "vol-b1", "vol-c1", "vol-d1", "vol-e1"]);
    expect(checkOf(r, "vol-a1")?.detail).toStartWith("DryRunOperation: the call would succeed (authorization context #1: us-east-1a, unencrypted, gp3 8 GiB");
    expect(checkOf(r, "vol-a3")).toEqual({
      name: "ec2:DeleteVolume DryRun",
      status: "passed",
      detail: "covered by the DryRun of vol-a1 with the same authorization context (#1)",
    });
    expect(checkOf(r, "vol-b2")?.detail).toBe("covered by the DryRun of vol-b1 with the same authorization context (#2)");
    expect(Object.keys(r.actions ?? {}).length).toBe(8);
    expect(r.plan?.[0]).toMatchObject({ name: "ec2 DryRun validation", status: "passed" });
    expect(r.plan?.[0]?.detail).toStartWith("5 DryRun call(s) for 8 action(s)");
  });

  test("a refused DryRun fails every action of its context, and only those", async () => {
    const ec2 = new FakeEc2(vols);
    ec2.deny.add("vol-b1");
    const r = await validateVolumes(planOf(), ec2, "per-context");
    expect(checkOf(r, "vol-b1")).toMatchObject({
      status: "failed",
      detail: "UnauthorizedOperation: vol-b1: You are not authorized to perform this operation.",
    });
    expect(checkOf(r, "vol-b2")).toMatchObject({ status: "failed" });
    expect(checkOf(r, "vol-b2")?.detail).toStartWith(
      "UnauthorizedOperation: vol-b2: the DryRun of vol-b1 with the same authorization context (#2) was refused",
    );
    for (const id of ["vol-a1", "vol-a2", "vol-a3", "vol-c1", "vol-d1", "vol-e1"]) expect(checkOf(r, id)?.status).toBe("passed");
    expect(r.plan?.[0]?.status).toBe("warning");
  });

  test("per-action mode sends one DryRun per action (the old behaviour)", async () => {
    const ec2 = new FakeEc2(vols);
    ec2.deny.add("vol-a2");
    const r = await validateVolumes(planOf(), ec2, "per-action");
    expect(ec2.dryRuns.length).toBe(8);
    expect(checkOf(r, "vol-a2")?.status).toBe("failed");
    expect(checkOf(r, "vol-a3")?.status).toBe("passed");
  });

  test("with --snapshot-first, CreateSnapshot is probed per context too", async () => {
    const ec2 = new FakeEc2(vols);
    const r = await validateVolumes(planOf({ ...criteria, snapshotFirst: true }), ec2, "per-context");
    expect(ec2.dryRuns.length).toBe(10); // 5 contexts × 2 operations (the fake answers CreateSnapshot through checkDeleteVolume)
    expect(checkOf(r, "vol-a2", "ec2:CreateSnapshot DryRun")?.detail).toBe("covered by the DryRun of vol-a1 with the same authorization context (#2)");
  });

  test("each IAM-visible attribute separates contexts; the volume id does not; ignored tags do not", () => {
    const base = { availabilityZone: "us-east-1a", encrypted: false, volumeType: "gp3", sizeGiB: 8, tags: { Environment: "staging", Name: "x" } };
    const key = (a: object, ignore: string[] = []) => authContextKey("DeleteVolume", { ...base, ...a }, ignore);
    for (const change of [
      { availabilityZone: "us-east-1b" },
      { encrypted: true },
      { kmsKeyId: "k" },
      { volumeType: "io2" },
      { sizeGiB: 9 },
      { iops: 4000 },
      { throughput: 250 },
      { snapshotId: "snap-1" },
      { tags: { Environment: "staging", Name: "y" } },
    ])
      expect(key(change)).not.toBe(key({}));
    expect(key({ tags: { Environment: "staging", Name: "y" } }, ["Name"])).toBe(key({}, ["Name"]));
    expect(authContextKey("CreateSnapshot", base)).not.toBe(key({}));
  });
});

describe("batched live re-reads", () => {
  const plan = planOf();

  test("the first read fetches that action and the next ones in plan order in one call; each answer is used once", async () => {
    const ec2 = new FakeEc2(vols);
    const r = new LiveReader(ec2, plan.actions);
    expect((await r.get("vol-a1"))?.id).toBe("vol-a1");
    expect(ec2.reads).toEqual([plan.actions.map((a) => a.resource.id)]);
    for (const a of plan.actions.slice(1)) expect((await r.get(a.resource.id))?.id).toBe(a.resource.id);
    expect(ec2.reads.length).toBe(1);
    await r.get("vol-a1"); // read again: a fresh call
    expect(ec2.reads.length).toBe(2);
  });

  test("concurrent readers share the batch in flight; a volume gone since is undefined", async () => {
    const ec2 = new FakeEc2(vols);
    ec2.volumes.delete("vol-b2");
    const r = new LiveReader(ec2, plan.actions);
    const got = await Promise.all(plan.actions.map((a) => r.get(a.resource.id)));
    expect(ec2.reads.length).toBe(1);
    expect(got.map((v) => v?.id ?? null)).toEqual(plan.actions.map((a) => (a.resource.id === "vol-b2" ? null : a.resource.id)));
  });

  test("a batched answer older than the freshness bound is read again", async () => {
    const ec2 = new FakeEc2(vols);
    let now = 0;
    const r = new LiveReader(ec2, plan.actions, () => now);
    await r.get("vol-a1");
    now += LIVE_MAX_AGE_MS + 1;
    await r.get("vol-a2");
    expect(ec2.reads.length).toBe(2);
    // The new batch starts at the action asking and re-reads the stale ones after it too.
    expect(ec2.reads[1]).toEqual(plan.actions.slice(1).map((a) => a.resource.id));
    for (const a of plan.actions.slice(2)) await r.get(a.resource.id);
    expect(ec2.reads.length).toBe(2);
  });
});
