import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Level } from "../../src/commands/verify-backup/levels.ts";
import { verifyPgBackRest } from "../../src/commands/verify-backup/verify-pgbackrest.ts";
import type { VerifyOptions } from "../../src/commands/verify-backup/verify-pgdump.ts";
import { type BackupSet, createPgBackRest } from "../../src/providers/pgbackrest/pgbackrest.ts";
import { corruptRepo, makeRepo, type Repo, STANZA } from "../support/pgbackrest.ts";

// pgBackRest 2.45 from Debian: a real repository, `verify`, `restore` and PostgreSQL started on the restored data.

let repo: Repo;
let set: BackupSet;
let n = 0;
const spec = { kind: "pgbackrest" as const, text: `pgbackrest:${STANZA}`, stanza: STANZA };

beforeAll(async () => {
  repo = makeRepo();
  const sets = await createPgBackRest({ binary: "pgbackrest", configFile: repo.configFile, runAs: repo.runAs }, process.env).backups(STANZA);
  set = sets.at(-1) as BackupSet;
}, 120_000);
afterAll(() => {
  for (const d of [repo?.base, `${repo?.base}-corrupt`]) if (d) rmSync(d, { recursive: true, force: true });
});

function options(target: Level, over: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    requested: target,
    target,
    point: { id: set.label, time: set.stop.toISOString(), sizeBytes: set.sizeBytes, location: STANZA },
    maxAge: { text: "26h", ms: 26 * 3600_000 },
    now: new Date(),
    signal: new AbortController().signal,
    log: () => {},
    marker: { environment: "test", planDigest: "sha256:t", expiresAt: "2030-01-01T00:00:00.000Z" },
    ...over,
  };
}

function ports(r: Repo = repo, probes = [{ sql: "select count(*) from orders", expect: "2000:2000", min: 2000, max: 2000 }]) {
  n++;
  return {
    pgbackrest: () => createPgBackRest({ binary: "pgbackrest", configFile: r.configFile, runAs: r.runAs }, process.env),
    scratchBase: r.scratchBase,
    dirName: `opsctl-verify-test-${n}`,
    user: "postgres",
    database: "postgres",
    startTimeoutMs: 60_000,
    probes,
    probeTimeoutMs: 10_000,
  };
}

describe("verify-backup pgBackRest engine (real repository)", () => {
  test("info lists the full backup with its size and PostgreSQL version", () => {
    // Plain comparisons: toMatchObject with an asymmetric matcher wrote the matcher into `set` (Bun 1.4.5).
    expect([set.type, set.error]).toEqual(["full", false]);
    expect(set.pgVersion).toMatch(/^\d+$/);
    expect(set.sizeBytes).toBeGreaterThan(1_000_000);
  });

  test("a good backup verifies at each level; the scratch cluster is stopped and removed", async () => {
    for (const level of ["exists", "integrity", "query"] as const) {
      const ev = await verifyPgBackRest(spec, set.label, set.pgVersion, options(level), ports());
      expect({ level, findings: ev.findings, verified: ev.verified }).toEqual({ level, findings: [], verified: true });
      if (level === "query") {
        expect(ev.probes).toEqual([{ sql: "select count(*) from orders", expect: "2000:2000", value: 2000, ok: true, detail: "2000 within 2000:2000" }]);
        expect(ev.restore?.durationMs).toBeGreaterThan(0);
        expect(ev.teardown.removed).toEqual(ev.teardown.created);
        expect(ev.teardown.created).toHaveLength(1);
      }
    }
    expect(readdirSync(repo.scratchBase)).toEqual([]);
  }, 120_000);

  test("a corrupted file in the repository fails integrity (pgBackRest 2.45 exits 0 there: its report is read)", async () => {
    const copy: Repo = { ...repo, base: `${repo.base}-corrupt` };
    // cp -a keeps the postgres owner: pgBackRest runs as that user.
    execFileSync("cp", ["-a", repo.base, copy.base]);
    // The copy's config still names the original repository: point it at the copy.
    const { readFileSync, writeFileSync } = await import("node:fs");
    copy.configFile = join(copy.base, "pgbackrest.conf");
    writeFileSync(copy.configFile, readFileSync(copy.configFile, "utf8").replaceAll(repo.base, copy.base));
    copy.scratchBase = join(copy.base, "scratch");
    corruptRepo(copy);
    const ev = await verifyPgBackRest(spec, set.label, set.pgVersion, options("query"), ports(copy));
    expect(ev.findings[0]).toMatch(/^integrity: verify status error: backup: .*status: invalid/);
    expect([ev.verified, ev.level.reached]).toEqual([false, "exists"]);
    expect(ev.teardown.created).toEqual([]);
  }, 60_000);

  test("an interrupt during the restore stops and removes the scratch directory", async () => {
    const ac = new AbortController();
    const logs: string[] = [];
    const run = verifyPgBackRest(spec, set.label, set.pgVersion, options("query", { signal: ac.signal, log: (m) => logs.push(m) }), ports());
    for (let i = 0; i < 500 && !logs.some((l) => l.startsWith("restoring")); i++) await Bun.sleep(10);
    ac.abort();
    const ev = await run;
    expect(ev.findings[0]).toBe("interrupted during restore");
    expect(ev.teardown.removed).toHaveLength(1);
    expect(readdirSync(repo.scratchBase)).toEqual([]);
  }, 60_000);
});
