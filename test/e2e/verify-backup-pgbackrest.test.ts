import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, rmSync } from "node:fs";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";
import { makeRepo, type Repo, STANZA } from "../support/pgbackrest.ts";

// verify-backup on a real pgBackRest repository (Debian's pgbackrest), through the binary.

let repo: Repo;
beforeAll(() => {
  repo = makeRepo();
}, 120_000);
afterAll(() => rmSync(repo.base, { recursive: true, force: true }));

function ws() {
  const runAs = repo.runAs ? `, runAs: ${repo.runAs}` : "";
  return workspace(new Moto().url, `verifyBackup:\n  scratch: { directory: ${repo.scratchBase} }\n  pgbackrest: { config: ${repo.configFile}${runAs} }\n`);
}

describe("verify-backup pgbackrest: (compiled binary)", () => {
  test("dry run names the backup set, the scratch directory and every call; apply restores, probes and removes it", async () => {
    const { dir, env } = ws();
    const probe = ["--probe", "select count(*) from orders", "--expect-range", "2000:2000"];
    const dry = await runBin(
      ["verify-backup", "--environment", "staging", "--source", `pgbackrest:${STANZA}`, "--level", "query", ...probe, "--dry-run", "--format", "json"],
      { cwd: dir, env },
    );
    expect(dry.code).toBe(10);
    const a = dry.json.plan.actions[0];
    expect(a.resource.id).toMatch(/^\d{8}-\d{6}F$/);
    expect(a.resource.attributes).toMatchObject({ backupType: "full", scratchName: expect.stringMatching(/^opsctl-verify-\d{14}-1$/) });
    expect([...a.steps.map((s: { operation: string }) => s.operation), a.call.operation]).toEqual([
      "info",
      "verify",
      "restore",
      "start",
      "probe",
      "stop",
      "remove",
    ]);
    expect(a.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual(["freshness:passed", "pg_ctl:passed"]);

    const r = await runBin(
      ["verify-backup", "--environment", "staging", "--source", `pgbackrest:${STANZA}`, "--level", "query", ...probe, "--format", "json"],
      { cwd: dir, env, timeoutMs: 120_000 },
    );
    expect({ code: r.code, errors: r.json.errors }).toEqual({ code: 0, errors: [] });
    const ev = r.json.result.actions[0].evidence;
    expect(ev.level.reached).toBe("query");
    expect(ev.checksums[0]).toMatchObject({ expected: "valid", actual: "valid", ok: true });
    expect(ev.probes[0]).toMatchObject({ value: 2000, ok: true });
    expect(ev.restore.detail).toMatch(/^restored, recovered and promoted in \d+\.\d s$/);
    expect(ev.teardown.removed).toHaveLength(1);
    expect(r.json.result.actions[0].created).toEqual([expect.stringMatching(/^pgbackrest-scratch-dir:.*opsctl-verify-/)]);
    expect(readdirSync(repo.scratchBase)).toEqual([]);
  }, 180_000);
});
