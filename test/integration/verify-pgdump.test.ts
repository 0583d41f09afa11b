import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Level } from "../../src/commands/verify-backup/levels.ts";
import { type VerifyOptions, verifyPgDump } from "../../src/commands/verify-backup/verify-pgdump.ts";
import { locateTool } from "../../src/providers/postgres/pg-tools.ts";
import { createScratchServer, type ScratchServer } from "../../src/providers/postgres/scratch.ts";
import { dropDatabase, flipBytes, pgDump, poisonRow, scratchDatabases, scratchDsn, sourceDatabase } from "../support/backups.ts";

// Real dumps, restores and probes against the peers' PostgreSQL 15.

const dir = mkdtempSync(join(tmpdir(), "opsctl-pgdump-"));
const good = join(dir, "good.dump");
const plain = join(dir, "plain.dump");
let server: ScratchServer;
let n = 0;

beforeAll(async () => {
  await sourceDatabase("vb_source", 5000);
  pgDump("vb_source", good);
  pgDump("vb_source", plain, false);
  server = await createScratchServer(await scratchDsn(), 5);
});
afterAll(async () => {
  await server?.close();
  await dropDatabase("vb_source");
  rmSync(dir, { recursive: true, force: true });
});

function options(target: Level, over: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    requested: target,
    target,
    point: { id: good, time: new Date().toISOString(), sizeBytes: statSync(good).size, location: good },
    maxAge: { text: "26h", ms: 26 * 3600_000 },
    now: new Date(),
    signal: new AbortController().signal,
    log: () => {},
    marker: { environment: "test", planDigest: "sha256:test", expiresAt: new Date(Date.now() + 3600_000).toISOString() },
    ...over,
  };
}

const probes = [
  { sql: "select count(*) from orders where created_at > now() - interval '2 days'", expect: "3000:5000", min: 3000, max: 5000 },
  { sql: "select count(*) from zz_ledger", expect: "3:3", min: 3, max: 3 },
];

function ports(over: { probes?: typeof probes } = {}) {
  n++;
  return {
    pgRestore: () => locateTool("pg_restore", undefined, process.env),
    scratch: async () => server,
    probes: over.probes ?? probes,
    probeTimeoutMs: 10_000,
    jobs: 1,
    env: { PATH: process.env.PATH },
    tmpDir: dir,
    database: `opsctl_verify_it_${process.pid}_${n}`,
  };
}

const spec = (path: string) => ({ kind: "postgres-dump" as const, text: `pgdump:${path}`, location: { kind: "file" as const, path } });

describe("verify-backup pgdump engine (real PostgreSQL)", () => {
  test("a good dump verifies at each level; the scratch database is gone afterwards", async () => {
    for (const level of ["exists", "integrity", "restore", "query"] as const) {
      const ev = await verifyPgDump(spec(good), options(level), ports());
      expect({ level, verified: ev.verified, findings: ev.findings }).toEqual({ level, verified: true, findings: [] });
      expect(ev.level.reached).toBe(level);
      if (level === "restore" || level === "query") {
        expect(ev.restore?.durationMs).toBeGreaterThan(0);
        expect(ev.teardown.created).toHaveLength(1);
        expect(ev.teardown.removed).toEqual(ev.teardown.created);
      } else expect(ev.teardown.created).toEqual([]);
    }
    const last = await verifyPgDump(spec(good), options("query"), ports());
    expect(last.probes.map((p) => [p.value, p.ok])).toEqual([
      [expect.any(Number), true],
      [3, true],
    ]);
    expect(await scratchDatabases()).toEqual([]);
  });

  test("flipped bytes: integrity fails, nothing is created", async () => {
    const bad = join(dir, "flipped.dump");
    copyFileSync(good, bad);
    flipBytes(bad);
    const ev = await verifyPgDump(spec(bad), options("query"), ports());
    expect(ev.verified).toBe(false);
    expect(ev.level.reached).toBe("exists");
    expect(ev.findings[0]).toMatch(/^integrity: pg_restore (--list failed|could not read the archive through)/);
    expect(ev.teardown.created).toEqual([]);
  });

  test("a .sha256 beside the archive is compared; without one the hash is recorded", async () => {
    const { createHash } = await import("node:crypto");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const plainEv = await verifyPgDump(spec(good), options("integrity"), ports());
    expect(plainEv.checksums[0]).toMatchObject({ expectedFrom: "none (no .sha256 beside the archive); recorded", ok: true, how: "full-read" });
    const withSum = join(dir, "summed.dump");
    copyFileSync(good, withSum);
    writeFileSync(`${withSum}.sha256`, `${createHash("sha256").update(readFileSync(good)).digest("hex")}  summed.dump\n`);
    const ok = await verifyPgDump(spec(withSum), options("integrity"), ports());
    expect(ok.verified).toBe(true);
    expect(ok.checksums[0]).toMatchObject({ expectedFrom: `${withSum}.sha256`, ok: true });
    flipBytes(withSum, 0.3, 1);
    const bad = await verifyPgDump(spec(withSum), options("integrity"), ports());
    expect(bad.verified).toBe(false);
    expect(bad.findings[0]).toStartWith(`checksum mismatch: ${withSum} ${withSum}.sha256 SHA-256`);
  });

  test("a truncated dump fails integrity", async () => {
    const bad = join(dir, "truncated.dump");
    copyFileSync(good, bad);
    truncateSync(bad, Math.floor(statSync(good).size / 2));
    const ev = await verifyPgDump(spec(bad), options("integrity"), ports());
    expect(ev.verified).toBe(false);
    expect(ev.findings[0]).toContain("integrity:");
  });

  test("a restore that fails half way: the archive reads, COPY of the last table fails, the scratch database is dropped", async () => {
    const bad = join(dir, "poisoned.dump");
    copyFileSync(plain, bad);
    poisonRow(bad);
    const ev = await verifyPgDump(spec(bad), options("query"), ports());
    expect(ev.verified).toBe(false);
    expect(ev.level.reached).toBe("integrity");
    expect(ev.findings[0]).toContain('invalid input syntax for type integer: "47x1"');
    expect(ev.teardown.created).toHaveLength(1);
    expect(ev.teardown.removed).toEqual(ev.teardown.created);
    expect(ev.teardown.leftovers).toEqual([]);
    expect(await scratchDatabases()).toEqual([]);
  });

  test("a probe out of range fails the query level and still tears down", async () => {
    const ev = await verifyPgDump(
      spec(good),
      options("query"),
      ports({ probes: [{ sql: "select count(*) from orders", expect: "10000:", min: 10000, max: Infinity }] }),
    );
    expect(ev.verified).toBe(false);
    expect(ev.level.reached).toBe("restore");
    expect(ev.findings).toEqual(['probe "select count(*) from orders": 5000 outside 10000:']);
    expect(ev.probes[0]).toMatchObject({ value: 5000, ok: false });
    expect(await scratchDatabases()).toEqual([]);
  });

  test("a stale dump is a finding before any work", async () => {
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const ev = await verifyPgDump(spec(good), options("query", { point: { id: good, time: old, sizeBytes: 1, location: good } }), ports());
    expect(ev.verified).toBe(false);
    expect(ev.level.reached).toBe("none");
    expect(ev.findings[0]).toMatch(/^stale: newest recovery point .* is 3d old, older than --max-age 26h$/);
  });

  test("pg_restore missing is named with what was searched", async () => {
    const ev = await verifyPgDump(spec(good), options("integrity"), { ...ports(), pgRestore: () => locateTool("pg_restore", "/nonexistent/pg_restore", {}) });
    expect(ev.findings[0]).toContain("pg_restore not found (searched verifyBackup.pgRestore (/nonexistent/pg_restore))");
  });

  test("an interrupt during the restore kills pg_restore and drops the scratch database", async () => {
    const ac = new AbortController();
    const p = ports();
    const logs: string[] = [];
    const started = Date.now();
    const run = verifyPgDump(spec(good), options("query", { signal: ac.signal, log: (m) => logs.push(m) }), p);
    // Abort as soon as the restore has begun.
    for (let i = 0; i < 200 && !logs.some((l) => l.startsWith("restoring")); i++) await Bun.sleep(10);
    ac.abort();
    const ev = await run;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ev.verified).toBe(false);
    expect(ev.findings[0]).toBe("interrupted during restore");
    expect(ev.teardown.removed.map((r) => r.id)).toEqual([p.database]);
    expect(await scratchDatabases()).toEqual([]);
  });
});
