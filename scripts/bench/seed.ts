// Seeds a moto server (scripts/bench/moto_fast.py) with N volumes of mixed environments,
// ages, states and tags, fast: volumes of one age are created together (BENCH_AGE_FILE is
// rewritten between groups), with many calls in flight over kept-alive connections.
import { writeFileSync } from "node:fs";
import { AttachVolumeCommand, CreateVolumeCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { mapLimit } from "../../src/core/concurrency.ts";
import { rng } from "../../test/support/rng.ts";

export interface SeedSpec {
  env: "staging" | "prod" | "dev";
  ageDays: number;
  attached: boolean;
  protect: boolean;
  team: string;
}

/** The mix of volumes for a given N: deterministic (seeded), the same for every tool. */
export function seedSpecs(n: number, seed = 6): SeedSpec[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const e = r.next();
    const a = r.next();
    return {
      env: e < 0.6 ? "staging" : e < 0.85 ? "prod" : "dev",
      ageDays: a < 0.5 ? 90 : a < 0.7 ? 45 : 5,
      attached: r.next() < 0.1,
      protect: r.next() < 0.03,
      team: r.pick(["data", "web", "infra", "ml"]),
    } satisfies SeedSpec;
  });
}

export interface SeedResult {
  ids: string[];
  ms: number;
  callsPerSecond: number;
}

export async function seedVolumes(endpoint: string, ageFile: string, specs: SeedSpec[], concurrency = 16): Promise<SeedResult> {
  const ec2 = new EC2Client({ endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" }, maxAttempts: 5 });
  const started = performance.now();
  let calls = 0;
  const ids: string[] = new Array(specs.length);
  const byAge = new Map<number, number[]>();
  for (const [i, s] of specs.entries()) {
    const group = byAge.get(s.ageDays) ?? [];
    group.push(i);
    byAge.set(s.ageDays, group);
  }
  // Enough instances that no instance gets an absurd number of volumes.
  const attachedCount = specs.filter((s) => s.attached).length;
  const instances: string[] = [];
  if (attachedCount) {
    const want = Math.max(1, Math.ceil(attachedCount / 20));
    for (let made = 0; made < want; made += 50) {
      const r = await ec2.send(
        new RunInstancesCommand({ ImageId: "ami-12c6146b", MinCount: 1, MaxCount: Math.min(50, want - made), Placement: { AvailabilityZone: "us-east-1a" } }),
      );
      calls++;
      for (const i of r.Instances ?? []) instances.push(i.InstanceId as string);
    }
  }
  try {
    for (const [age, idx] of byAge) {
      writeFileSync(ageFile, `${age}\n`);
      await mapLimit(idx, concurrency, async (i) => {
        const s = specs[i] as SeedSpec;
        const tags = [{ Key: "Environment", Value: s.env }, { Key: "team", Value: s.team }, ...(s.protect ? [{ Key: "opsctl:protect", Value: "true" }] : [])];
        const r = await ec2.send(
          new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8, VolumeType: "gp3", TagSpecifications: [{ ResourceType: "volume", Tags: tags }] }),
        );
        calls++;
        ids[i] = r.VolumeId as string;
      });
    }
  } finally {
    writeFileSync(ageFile, "0\n");
  }
  const toAttach = specs.map((s, i) => (s.attached ? i : -1)).filter((i) => i >= 0);
  await mapLimit([...toAttach.entries()], concurrency, async ([k, i]) => {
    const instance = instances[k % instances.length] as string;
    await ec2.send(
      new AttachVolumeCommand({
        VolumeId: ids[i] as string,
        InstanceId: instance,
        Device: `/dev/sd${String.fromCharCode(102 + (Math.floor(k / instances.length) % 10))}${Math.floor(k / instances.length / 10)}`,
      }),
    );
    calls++;
  });
  ec2.destroy();
  const ms = performance.now() - started;
  return { ids, ms, callsPerSecond: Math.round((calls / ms) * 1000) };
}
