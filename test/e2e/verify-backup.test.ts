import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateSnapshotCommand } from "@aws-sdk/client-ec2";
import postgres from "postgres";
import { dropDatabase, flipBytes, pgDump, poisonRow, SCRATCH_PASSWORD, scratchDatabases, scratchDsn, sourceDatabase } from "../support/backups.ts";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";
import { backupSet, bucket } from "../support/s3-backups.ts";

// verify-backup through the compiled binary, against moto (S3 objects are real data; an
// EBS "restore" is control flow only: moto makes the volume available at once and holds
// no blocks) and the peers' PostgreSQL (real dumps, restores and probes).

const moto = new Moto();
const dir = mkdtempSync(join(tmpdir(), "opsctl-vb-e2e-"));
const dumps = {
  good: join(dir, "good.dump"),
  flipped: join(dir, "flipped.dump"),
  poisoned: join(dir, "poisoned.dump"),
  stale: join(dir, "stale.dump"),
  big: join(dir, "big.dump"),
};
let dsn: string;
let snapshotId: string;

beforeAll(async () => {
  await moto.reset();
  await sourceDatabase("vb_e2e", 5000);
  pgDump("vb_e2e", dumps.good);
  copyFileSync(dumps.good, dumps.flipped);
  flipBytes(dumps.flipped);
  pgDump("vb_e2e", dumps.poisoned, false);
  poisonRow(dumps.poisoned);
  copyFileSync(dumps.good, dumps.stale);
  const old = new Date(Date.now() - 3 * 86_400_000);
  utimesSync(dumps.stale, old, old);
  await sourceDatabase("vb_e2e_big", 1_500_000);
  pgDump("vb_e2e_big", dumps.big);
  await dropDatabase("vb_e2e_big");
  dsn = await scratchDsn();
  await bucket("vb-e2e");
  const files = { "base.tar": "a".repeat(4000), "wal-0001": "b".repeat(2000) };
  await backupSet("vb-e2e", "nightly/", files);
  await backupSet("vb-e2e", "truncated/", files, { truncate: "wal-0001" });
  const vol = await moto.volume({ tags: { backup: "orders-db" } });
  snapshotId = (
    await moto.ec2.send(
      new CreateSnapshotCommand({ VolumeId: vol, TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "backup", Value: "orders-db" }] }] }),
    )
  ).SnapshotId as string;
}, 120_000);
afterAll(async () => {
  await dropDatabase("vb_e2e");
  rmSync(dir, { recursive: true, force: true });
});

function ws(extra = "", scratch = () => dsn) {
  const w = workspace(moto.url, `verifyBackup:\n  scratch: { dsn: "env:SCRATCH_DSN" }\n${extra}`);
  return { dir: w.dir, env: { ...w.env, SCRATCH_DSN: scratch() } };
}
const vb = (...args: string[]) => ["verify-backup", "--environment", "staging", ...args];
const probe = ["--probe", "select count(*) from orders where created_at > now() - interval '2 days'", "--expect-range", "3000:5000"];
const canaryFree = (r: { stdout: string; stderr: string }) => {
  expect(r.stdout).not.toContain(SCRATCH_PASSWORD);
  expect(r.stderr).not.toContain(SCRATCH_PASSWORD);
};

describe("verify-backup (compiled binary)", () => {
  test("dry run: the plan lists each recovery point, its level, the scratch resources and the exact calls; nothing is created (exit 10)", async () => {
    const { dir: cwd, env } = ws();
    const volumes = await moto.volumeIds();
    const r = await runBin(
      vb(
        "--source",
        `pgdump:${dumps.good}`,
        "--source",
        "s3://vb-e2e/nightly/",
        "--source",
        "ebs-snapshots:tag:backup=orders-db",
        "--level",
        "query",
        ...probe,
        "--dry-run",
        "--format",
        "json",
      ),
      { cwd, env },
    );
    expect(r.code).toBe(10);
    canaryFree(r);
    const actions = r.json.plan.actions;
    expect(actions.map((a: { id: string }) => a.id)).toEqual([
      `verify:pgdump:${dumps.good}`,
      "verify:s3://vb-e2e/nightly/",
      expect.stringMatching(/^verify:ebs-snapshots:tag:backup=orders-db#vol-/),
    ]);
    const [pg, s3, ebs] = actions;
    expect(pg.reason.evidence).toMatchObject({ level: "query", levelRequested: "query", fresh: true });
    expect(pg.resource.attributes).toMatchObject({
      archiveFormat: "custom",
      dumpedDatabase: "vb_e2e",
      scratchName: expect.stringMatching(/^opsctl_verify_\d{14}_1$/),
    });
    expect([pg.call.operation, ...pg.steps.map((s: { operation: string }) => s.operation)]).toEqual([
      "DROP DATABASE",
      "stat",
      "sha256",
      "--list",
      "--file /dev/null",
      "CREATE DATABASE",
      "restore",
      "probe",
    ]);
    expect(pg.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual([
      "freshness:passed",
      "pg_restore:passed",
      "postgres:CREATEDB:passed",
    ]);
    expect(s3.reason.evidence).toMatchObject({ level: "integrity", levelRequested: "query" });
    expect(s3.reason.summary).toContain("query does not apply to s3");
    expect(ebs.resource.id).toBe(snapshotId);
    expect(ebs.reason.evidence.level).toBe("restore");
    expect(ebs.call).toEqual({ service: "ec2", operation: "DeleteVolume", parameters: { VolumeId: "(the scratch volume)" } });
    expect(ebs.steps[1]).toMatchObject({
      operation: "CreateVolume",
      parameters: { SnapshotId: snapshotId, AvailabilityZone: "us-east-1a", VolumeType: "gp3" },
    });
    expect(ebs.checks.map((c: { name: string }) => c.name)).toContain("ec2:CreateVolume DryRun");
    expect(await scratchDatabases()).toEqual([]);
    expect(await moto.volumeIds()).toEqual(volumes);

    const text = await runBin(["verify-backup", "--environment", "staging", "--source", `pgdump:${dumps.good}`, "--level", "restore", "--dry-run"], {
      cwd,
      env,
    });
    expect(text.code).toBe(10);
    expect(text.stdout).toMatch(/verify \(7 calls\)\s+\S+good\.dump\s+-\s+\S+good\.dump, taken .*; fresh \(≤ 26h\); verify at restore; scratch opsctl_verify_/);
  });

  test("apply: a good backup at each level verifies (exit 0) with evidence and a digest; scratch resources are gone", async () => {
    const { dir: cwd, env } = ws();
    const volumes = await moto.volumeIds();
    for (const level of ["exists", "integrity", "restore", "query"]) {
      const r = await runBin(
        vb(
          "--source",
          `pgdump:${dumps.good}`,
          "--source",
          "s3://vb-e2e/nightly/",
          "--source",
          "ebs-snapshots:tag:backup=orders-db",
          "--level",
          level,
          ...probe,
          "--format",
          "json",
        ),
        { cwd, env },
      );
      expect({ level, code: r.code, errors: r.json.errors }).toEqual({ level, code: 0, errors: [] });
      canaryFree(r);
      const ev = r.json.result.actions.map((a: { evidence: { level: { reached: string }; verified: boolean } }) => [
        a.evidence.level.reached,
        a.evidence.verified,
      ]);
      const capped = (max: string) =>
        ["exists", "integrity", "restore", "query"].indexOf(level) > ["exists", "integrity", "restore", "query"].indexOf(max) ? max : level;
      expect(ev).toEqual([
        [level, true],
        [capped("integrity"), true],
        [capped("restore"), true],
      ]);
      expect(r.json.result.evidenceDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    expect(await scratchDatabases()).toEqual([]);
    expect(await moto.volumeIds()).toEqual(volumes);
  }, 60_000);

  test("text result: each source's level, restore time, scratch created and removed, the evidence digest", async () => {
    const { dir: cwd, env } = ws();
    const r = await runBin(["verify-backup", "--environment", "staging", "--source", `pgdump:${dumps.good}`, "--level", "query", ...probe], { cwd, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/applied\s+verify\s+\S+good\.dump\s+verified at query; restore \d+\.\d s; scratch 1 created, 1 removed/);
    expect(r.stdout).toMatch(/Evidence digest: sha256:[0-9a-f]{64}/);
    expect(r.stderr).toContain("teardown: postgres-database opsctl_verify_");
  });

  test("a corrupted dump fails integrity: exit 3, nothing created", async () => {
    const { dir: cwd, env } = ws();
    const r = await runBin(vb("--source", `pgdump:${dumps.flipped}`, "--source", `pgdump:${dumps.good}`, "--level", "integrity", "--format", "json"), {
      cwd,
      env,
    });
    expect(r.code).toBe(3);
    expect(r.json.exit).toEqual({ code: 3, name: "validation" });
    const [bad, good] = r.json.result.actions;
    expect(bad).toMatchObject({ status: "failed", error: { class: "verification" }, created: [] });
    expect(bad.error.message).toMatch(/^integrity: pg_restore/);
    expect(good).toMatchObject({ status: "applied", created: [] });
  });

  test("a truncated S3 object is a checksum mismatch: exit 3", async () => {
    const { dir: cwd, env } = ws();
    const r = await runBin(vb("--source", "s3://vb-e2e/truncated/", "--format", "json"), { cwd, env });
    expect(r.code).toBe(3);
    const a = r.json.result.actions[0];
    expect(a.error.message).toContain("checksum mismatch: s3://vb-e2e/truncated/wal-0001 manifest SHA-256");
    expect(a.evidence.checksums.map((c: { ok: boolean }) => c.ok)).toEqual([true, false]);
  });

  test("a stale backup fails freshness with its age, before any work: exit 3", async () => {
    const { dir: cwd, env } = ws();
    const r = await runBin(vb("--source", `pgdump:${dumps.stale}`, "--level", "restore", "--max-age", "26h"), { cwd, env });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("STALE (> 26h): will fail freshness");
    expect(r.stdout).toMatch(
      /failed\s+verify\s+\S+stale\.dump\s+verification: stale: newest recovery point \S+ is 3d old, older than --max-age 26h \(reached none\)/,
    );
    expect(await scratchDatabases()).toEqual([]);
  });

  test("a probe out of range: exit 5 (a scratch database was created), and it was dropped", async () => {
    const { dir: cwd, env } = ws();
    const r = await runBin(
      vb("--source", `pgdump:${dumps.good}`, "--level", "query", "--probe", "select count(*) from orders", "--expect-range", "10000:", "--format", "json"),
      { cwd, env },
    );
    expect(r.code).toBe(5);
    const a = r.json.result.actions[0];
    expect(a.error).toEqual({ class: "verification", message: expect.stringContaining('probe "select count(*) from orders": 5000 outside 10000:') });
    expect(a.created).toEqual([expect.stringMatching(/^postgres-database:opsctl_verify_/)]);
    expect(a.evidence.teardown.removed).toHaveLength(1);
    expect(await scratchDatabases()).toEqual([]);
  });

  test("a restore that fails half way: exit 5, the scratch database is still dropped", async () => {
    const { dir: cwd, env } = ws();
    const r = await runBin(vb("--source", `pgdump:${dumps.poisoned}`, "--level", "restore", "--format", "json"), { cwd, env });
    expect(r.code).toBe(5);
    const a = r.json.result.actions[0];
    expect(a.error.message).toContain('restore: pg_restore failed (exit 1): pg_restore: error: COPY failed for table "zz_ledger"');
    expect(a.evidence.level.reached).toBe("integrity");
    expect(a.evidence.teardown.leftovers).toEqual([]);
    expect(await scratchDatabases()).toEqual([]);
  });

  test("SIGINT during a restore: pg_restore is stopped and the scratch database dropped within the grace period (exit 130)", async () => {
    const { dir: cwd, env } = ws();
    let sentAt = 0;
    const r = await runBin(vb("--source", `pgdump:${dumps.big}`, "--level", "restore", "--format", "json"), {
      cwd,
      env,
      timeoutMs: 60_000,
      during: async (proc, stderr) => {
        for (let i = 0; i < 600 && !stderr().includes("restoring pgdump:"); i++) await Bun.sleep(50);
        await Bun.sleep(300);
        sentAt = Date.now();
        proc.kill("SIGINT");
      },
    });
    const took = Date.now() - sentAt;
    expect(r.code).toBe(130);
    expect(took).toBeLessThan(10_000);
    const a = r.json.result.actions[0];
    expect(a.error.message).toContain("interrupted during restore");
    expect(a.evidence.teardown.removed).toHaveLength(1);
    expect(r.stderr).toContain("teardown: postgres-database opsctl_verify_");
    expect(await scratchDatabases()).toEqual([]);
  }, 90_000);

  test("leftovers of an earlier run are removed first; one tagged for another environment is left alone", async () => {
    // Made by the scratch role, as an earlier run would have.
    const sql = postgres(dsn, { max: 1, onnotice: () => {} });
    const marker = (env: string) =>
      `opsctl:verify-backup ${JSON.stringify({ purpose: "verify-backup", environment: env, planDigest: "sha256:old", source: "pgdump:/x", expiresAt: "2026-01-01T00:00:00.000Z" })}`;
    try {
      for (const [name, env] of [
        ["opsctl_verify_leftover_1", "staging"],
        ["opsctl_verify_leftover_2", "prod"],
      ] as const) {
        await dropDatabase(name);
        await sql.unsafe(`create database ${name}`);
        await sql.unsafe(`comment on database ${name} is '${marker(env)}'`);
      }
    } finally {
      await sql.end();
    }
    const { dir: cwd, env } = ws();
    const dry = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "restore", "--dry-run"), { cwd, env });
    expect(dry.stdout).toMatch(
      /delete\s+opsctl_verify_leftover_1\s+-\s+scratch database left by an earlier verify-backup run \(plan sha256:old, expired 2026-01-01T00:00:00.000Z\)/,
    );
    expect(dry.stdout).not.toContain("opsctl_verify_leftover_2");
    const r = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "restore", "--format", "json"), { cwd, env });
    expect(r.code).toBe(0);
    expect(r.json.result.actions[0]).toMatchObject({ id: "remove-leftover:opsctl_verify_leftover_1", status: "applied", created: [] });
    expect(await scratchDatabases()).toEqual(["opsctl_verify_leftover_2"]);
    await dropDatabase("opsctl_verify_leftover_2");
  });

  test("a scratch role without CREATEDB is refused before anything runs (exit 3)", async () => {
    const noCreate = await scratchDsn(false);
    const { dir: cwd, env } = ws("", () => noCreate);
    const r = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "restore"), { cwd, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("postgres:CREATEDB: role verify_scratch_nocreatedb on 127.0.0.1:");
    expect(r.stderr).toContain("has no CREATEDB: grant it (ALTER ROLE verify_scratch_nocreatedb CREATEDB)");
    canaryFree(r);
  });

  test("pg_restore missing on the host is named with where it was looked for (exit 3)", async () => {
    const { dir: cwd, env } = ws("  pgRestore: /opt/nowhere/pg_restore\n");
    const r = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "integrity"), { cwd, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "pg_restore: pg_restore not found (searched verifyBackup.pgRestore (/opt/nowhere/pg_restore)): install the PostgreSQL client tools",
    );
  });

  test("unreachable endpoints: the scratch server, S3 (exit 4, nothing created, no secret in the message)", async () => {
    const closed = `postgres://verify_scratch:${SCRATCH_PASSWORD}@127.0.0.1:1/postgres`;
    const a = ws("", () => closed);
    const r = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "restore"), { cwd: a.dir, env: a.env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("cannot reach the scratch server (verifyBackup.scratch.dsn): ECONNREFUSED");
    canaryFree(r);

    const wrongPw = ws("", () => dsn.replace(SCRATCH_PASSWORD, "wrong-password"));
    const rejected = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "restore"), { cwd: wrongPw.dir, env: wrongPw.env });
    expect(rejected.code).toBe(4);
    expect(rejected.stderr).toContain("the scratch server (verifyBackup.scratch.dsn) rejected the credentials (28P01)");
    expect(rejected.stderr).not.toContain("wrong-password");

    const w = workspace("http://127.0.0.1:1", "");
    const s3 = await runBin(vb("--source", "s3://vb-e2e/nightly/"), { cwd: w.dir, env: w.env });
    expect(s3.code).toBe(4);
    expect(s3.stderr).toContain("cannot reach S3 at http://127.0.0.1:1");
    expect(await scratchDatabases()).toEqual([]);
  });

  test("bad input is exit 2, every problem at once, nothing contacted", async () => {
    const { dir: cwd, env } = ws();
    const cases: [string[], string[]][] = [
      [["--sauce", "x"], ["unknown flag --sauce"]],
      [
        ["--source", "s3://vb-e2e/nightly/", "--level", "deep"],
        ["--level", "exists, integrity, restore, query"],
      ],
      [
        ["--source", "rsync:/x"],
        ["--source", "ebs-snapshots:tag:KEY=VALUE"],
      ],
      [["--source", "s3://vb-e2e/nightly"], ["did you mean s3://vb-e2e/nightly/"]],
      [[], ["no backup sources: give --source (repeatable) or set verifyBackup.sources for environment 'staging'"]],
      [["--source", `pgdump:${dumps.good}`, "--level", "query"], ["--level query needs at least one --probe SQL with --expect-range MIN:MAX"]],
      [
        ["--source", `pgdump:${dumps.good}`, "--probe", "select 1", "--probe", "select 2", "--expect-range", "1:x"],
        ["got 2 probe(s) and 1 range(s)", "'1:x' is not a range"],
      ],
      [["--source", "s3://vb-e2e/nightly/", "--max-age", "soon"], ["--max-age"]],
    ];
    for (const [args, needles] of cases) {
      const r = await runBin(vb(...args), { cwd, env });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      for (const n of needles) expect(r.stderr).toContain(n);
    }
    const noDsn = workspace(moto.url, "");
    const r = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "restore"), { cwd: noDsn.dir, env: noDsn.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("verifyBackup.scratch.dsn is not set");
    const broken = workspace(moto.url, "verifyBackup:\n  level: deepest\n  sources: [nfs:/x]\n");
    const b = await runBin(vb(), { cwd: broken.dir, env: broken.env });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("verifyBackup.level");
    expect(b.stderr).toContain("verifyBackup.sources");
  });

  test("a plan saved with --dry-run --out is verified as reviewed by opsctl apply FILE", async () => {
    const { dir: cwd, env } = ws();
    const dry = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "restore", "--dry-run", "--out", "plan.json"), { cwd, env });
    expect(dry.code).toBe(10);
    const r = await runBin(["apply", "plan.json", "--format", "json"], { cwd, env });
    expect(r.code).toBe(0);
    expect(r.json.result.actions[0].evidence).toMatchObject({ verified: true, level: { reached: "restore" } });
    expect(await scratchDatabases()).toEqual([]);
    canaryFree(r);
  });

  test("a scratch DSN that is not a postgres:// URL is a usage error naming the key, not echoing it", async () => {
    const { dir: cwd, env } = ws("", () => `mysql://root:${SCRATCH_PASSWORD}@db/x`);
    const r = await runBin(vb("--source", `pgdump:${dumps.good}`, "--level", "restore"), { cwd, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("verifyBackup.scratch.dsn: the scratch DSN must start with postgres:// (not mysql://)");
    canaryFree(r);
  });

  test("sources from the environment's config; --show-config shows the DSN as set, never its value", async () => {
    const { dir: cwd, env } = ws(`environments:\n  staging:\n    verifyBackup:\n      sources: ["pgdump:${dumps.good}"]\n      level: integrity\n`);
    const r = await runBin(vb("--format", "json"), { cwd, env });
    expect(r.code).toBe(0);
    expect(r.json.result.actions[0].evidence.level.reached).toBe("integrity");
    const sc = await runBin(vb("--show-config"), { cwd, env });
    expect(sc.code).toBe(0);
    expect(sc.stdout).toContain("verifyBackup.scratch.dsn");
    expect(sc.stdout).toContain("set (from env:SCRATCH_DSN)");
    canaryFree(sc);
  });
});
