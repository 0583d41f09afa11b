import { beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";

// The compiled binary against a real moto server: what an operator would run.

const moto = new Moto();
let ids: Record<string, string>;
/** Every volume after seeding, the attached volume's instance root volume included. */
let initial: string[];

beforeEach(async () => {
  await moto.reset();
  ids = {
    old: await moto.volume({ name: "old-scratch", ageDays: 90, tags: { Environment: "staging" } }),
    older: await moto.volume({ ageDays: 45, tags: { Environment: "staging", team: "data" } }),
    young: await moto.volume({ ageDays: 5, tags: { Environment: "staging" } }),
    protected: await moto.volume({ name: "keep-me", ageDays: 90, tags: { Environment: "staging", "opsctl:protect": "true" } }),
    prod: await moto.volume({ ageDays: 90, tags: { Environment: "prod" } }),
    attached: await moto.volume({ ageDays: 90, tags: { Environment: "staging" }, attached: true }),
  };
  initial = await moto.volumeIds();
});

const all = () => initial;
const without = (...names: string[]) => initial.filter((id) => !names.some((n) => ids[n] === id));

describe("cleanup-volumes against moto", () => {
  test("dry run exits 10, lists exactly the candidates and the protected volume, and changes nothing", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run"], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.stdout).toContain("cleanup-volumes — dry run — environment=staging region=us-east-1");
    expect(r.stdout).toContain(ids.old as string);
    expect(r.stdout).toContain(ids.older as string);
    expect(r.stdout).toContain("90 days > 30d");
    expect(r.stdout).toMatch(new RegExp(`${ids.protected}\\s+keep-me\\s+protected: protection tag opsctl:protect=true`));
    for (const k of ["young", "prod", "attached"]) expect(r.stdout).not.toContain(ids[k] as string);
    expect(r.stdout).toContain("Dry run: 2 change(s), nothing applied.");
    expect(r.stderr).toBe("");
    expect(await moto.volumeIds()).toEqual(all());
  });

  test("dry run JSON: one envelope with the plan, DryRun checks and (with --verbose) near-misses", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", "--verbose"], { cwd: dir, env });
    expect(r.code).toBe(10);
    const j = r.json;
    expect(j.schema).toBe("opsctl.result/v1");
    expect(j.mode).toBe("dry-run");
    expect(j.exit).toEqual({ code: 10, name: "changes" });
    expect(j.plan.actions.map((a: { resource: { id: string } }) => a.resource.id).sort()).toEqual([ids.old, ids.older].sort());
    const checks = j.plan.actions.flatMap((a: { checks: { name: string; status: string }[] }) => a.checks);
    expect(checks.filter((c: { name: string }) => c.name === "ec2:DeleteVolume DryRun").every((c: { status: string }) => c.status === "passed")).toBe(true);
    const skipped = Object.fromEntries(j.plan.skipped.map((s: { resource: { id: string }; category: string }) => [s.resource.id, s.category]));
    // The attached volume's instance root volume is in use and untagged: outside both discovery filters.
    expect(skipped).toEqual({
      [ids.protected as string]: "protected",
      [ids.young as string]: "not-eligible",
      [ids.attached as string]: "not-eligible",
      [ids.prod as string]: "out-of-scope",
    });
    expect(j.summary).toEqual({ planned: 2, applied: 0, failed: 0, skipped: 4, notReached: 0 });
    expect(j.plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await moto.volumeIds()).toEqual(all());
  });

  test("dry run JSON without --verbose: one filtered listing, the same plan as the text view (only the protected volume skipped)", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    const j = r.json;
    expect(j.plan.actions.map((a: { resource: { id: string } }) => a.resource.id).sort()).toEqual([ids.old, ids.older].sort());
    expect(j.plan.skipped.map((s: { resource: { id: string }; category: string }) => [s.resource.id, s.category])).toEqual([[ids.protected, "protected"]]);
    const describe = j.apiCalls.operations.find((o: { operation: string }) => o.operation === "DescribeVolumes");
    expect(describe.calls).toBe(1);
    const saved = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--out", "plan.json"], { cwd: dir, env });
    expect(saved.code).toBe(10);
    const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8"));
    const { createdAt: _a, digest: _b, ...fromText } = plan;
    const { createdAt: _c, digest: _d, ...fromJson } = j.plan;
    expect(fromJson).toEqual(fromText);
  });

  test("apply deletes exactly the planned set; a second dry run finds nothing (exit 0)", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.json.mode).toBe("apply");
    expect(r.json.result.actions.map((a: { status: string }) => a.status)).toEqual(["applied", "applied"]);
    expect(r.json.summary).toMatchObject({ planned: 2, applied: 2, failed: 0 });
    expect(await moto.volumeIds()).toEqual(without("old", "older"));

    const again = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run"], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes: nothing matched.");
    expect(again.stdout).toContain("Dry run: nothing to change.");
  });

  test("selectors and thresholds: --include-tag, --exclude-tag, --older-than", async () => {
    const { dir, env } = workspace(moto.url);
    const inc = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", "--include-tag", "team=data"], { cwd: dir, env });
    expect(inc.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).toEqual([ids.older]);
    const exc = await runBin(
      ["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", "--exclude-tag", "team=data", "--older-than", "P60D"],
      { cwd: dir, env },
    );
    expect(exc.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).toEqual([ids.old]);
    const young = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", "--older-than", "1d"], { cwd: dir, env });
    expect(young.json.plan.actions).toHaveLength(3);
  });

  test("--snapshot-first snapshots each volume, tagged with its source, before deleting it", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--snapshot-first", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    const snaps = (await moto.snapshots()).filter((s) => s.tags["opsctl:purpose"] === "pre-delete");
    expect(snaps.map((s) => s.tags["opsctl:source-volume"]).sort()).toEqual([ids.old, ids.older].sort());
    for (const s of snaps) expect(s.tags["opsctl:plan-digest"]).toBe(r.json.plan.digest);
    const outputs = r.json.result.actions.map((a: { outputs: { snapshotId: string } }) => a.outputs.snapshotId).sort();
    expect(outputs).toEqual(snaps.map((s) => s.id).sort());
    expect(await moto.volumeIds()).toEqual(without("old", "older"));
  });

  test("--out saves the plan file (no secrets, 0600) and needs --dry-run", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--out", "plan.json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8"));
    expect(plan.schema).toBe("opsctl.plan/v1");
    expect(plan.actions).toHaveLength(2);
    expect(readFileSync(join(dir, "plan.json"), "utf8")).not.toContain("testing");
    const bad = await runBin(["cleanup-volumes", "--environment", "staging", "--out", "p2.json"], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--out saves a plan and needs --dry-run");
    expect(existsSync(join(dir, "p2.json"))).toBe(false);
    expect(await moto.volumeIds()).toEqual(all());
  });

  test("guardrails: --max-changes and guardrails.maxDeletions stop the run with exit 3 before any mutation", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--max-changes", "1"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("guardrail.maxChanges: 2 action(s), limit 1");
    const cfg = workspace(moto.url, "guardrails:\n  maxDeletions: 1\n");
    const r2 = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: cfg.dir, env: cfg.env });
    expect(r2.code).toBe(3);
    expect(r2.json.errors[0].message).toContain("guardrail.maxDeletions: 2 deletion(s), limit 1 (guardrails.maxDeletions)");
    expect(await moto.volumeIds()).toEqual(all());
  });

  test("a protected environment refuses to apply without --yes (exit 2), and applies with it", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "prod"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("environment 'prod' is protected: pass --yes");
    expect(await moto.volumeIds()).toEqual(all());
    const dry = await runBin(["cleanup-volumes", "--environment", "prod", "--dry-run"], { cwd: dir, env });
    expect(dry.code).toBe(10);
    const yes = await runBin(["cleanup-volumes", "--environment", "prod", "--yes"], { cwd: dir, env });
    expect(yes.code).toBe(0);
    expect(await moto.volumeIds()).toEqual(without("prod"));
  });

  test("--account is checked against the credentials (STS): a mismatch is exit 3", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--account", "210987654321"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("credentials belong to account 123456789012, not 210987654321");
    expect(await moto.volumeIds()).toEqual(all());
    const ok = await runBin(["cleanup-volumes", "--environment", "staging", "--account", "123456789012", "--dry-run"], { cwd: dir, env });
    expect(ok.code).toBe(10);
  });

  test("--show-config contacts nothing and exits 0, even with an unreachable endpoint", async () => {
    const { dir, env } = workspace("http://127.0.0.1:9");
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--show-config", "--format", "json"], {
      cwd: dir,
      env: { ...env, OPSCTL_CLEANUP_VOLUMES__OLDER_THAN: "60d" },
    });
    expect(r.code).toBe(0);
    expect(r.json.mode).toBe("show-config");
    const key = r.json.result.keys.find((k: { key: string }) => k.key === "cleanupVolumes.olderThan");
    expect(key).toEqual({
      key: "cleanupVolumes.olderThan",
      value: "60d",
      source: "env OPSCTL_CLEANUP_VOLUMES__OLDER_THAN",
      shadowed: [{ value: "30d", source: "default" }],
    });
  });
});

describe("bad input changes nothing", () => {
  const cases: [string, string[], Record<string, string>, string][] = [
    ["unknown flag", ["--environment", "staging", "--olde-than", "3d"], {}, "unknown flag --olde-than (did you mean --older-than?)"],
    ["bad duration", ["--environment", "staging", "--older-than", "thirty"], {}, "--older-than: must be a number with a unit"],
    ["bad number", ["--environment", "staging", "--max-changes", "ten"], {}, "--max-changes: must be a whole number"],
    ["bad enum", ["--environment", "staging", "--format", "yaml"], {}, "--format: must be one of text, json, got 'yaml'"],
    ["missing required value", ["--environment"], {}, "--environment needs a value"],
    ["missing required flag", ["--dry-run"], {}, "--environment is required"],
    ["unknown env var key", ["--environment", "staging"], { OPSCTL_AWS__REGON: "x" }, "OPSCTL_AWS__REGON: not a configuration key"],
  ];
  for (const [name, args, extraEnv, message] of cases) {
    test(`${name} → 2`, async () => {
      const { dir, env } = workspace(moto.url);
      const r = await runBin(["cleanup-volumes", ...args], { cwd: dir, env: { ...env, ...extraEnv } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe("");
      expect(await moto.volumeIds()).toEqual(all());
    });
  }

  test("broken YAML → 2 naming the file; JSON envelope once --format json was given", async () => {
    const { dir, env } = workspace(moto.url);
    writeFileSync(join(dir, "opsctl.config.yaml"), "region: us-east-1\naws:\n  endpoint: [oops\n");
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.json.exit).toEqual({ code: 2, name: "usage" });
    expect(r.json.errors[0].message).toStartWith(`${join(dir, "opsctl.config.yaml")}: does not parse:`);
    expect(await moto.volumeIds()).toEqual(all());
  });

  test("unknown config key → 2 naming file and key, all problems at once", async () => {
    const { dir, env } = workspace(moto.url, "guardrails:\n  maxDeletes: 3\ncleanupVolumes:\n  olderThan: soon\n");
    const r = await runBin(["cleanup-volumes", "--environment", "staging"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("guardrails.maxDeletes: unknown key (did you mean 'guardrails.maxDeletions'?)");
    expect(r.stderr).toContain("cleanupVolumes.olderThan: must be a duration");
    expect(r.stderr).toContain("opsctl.config.yaml");
    expect(await moto.volumeIds()).toEqual(all());
  });
});

describe("remote failures", () => {
  test("unreachable endpoint → 4, with the endpoint named", async () => {
    const { dir, env } = workspace("http://127.0.0.1:9");
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.json.exit.name).toBe("remote");
    expect(r.json.errors[0].message).toContain("cannot reach EC2 at http://127.0.0.1:9");
  });
});
