import type { PgBackRestPort } from "../../providers/pgbackrest/pgbackrest.ts";
import { probeOnce } from "../../providers/postgres/scratch.ts";
import { type Evidence, newEvidence } from "./evidence.ts";
import { freshness, rank } from "./levels.ts";
import { judgeProbe, type Probe } from "./probes.ts";
import { Interrupted, pause, type Scratch, verifyWithScratch } from "./scratch.ts";
import type { SourceSpec } from "./sources.ts";
import type { VerifyOptions } from "./verify-pgdump.ts";

export interface PgBackRestPorts {
  pgbackrest: () => PgBackRestPort;
  scratchBase: string;
  /** Directory name under scratchBase for this action (deterministic, shown in the plan). */
  dirName: string;
  /** Role to connect as in the restored cluster (its bootstrap superuser, usually postgres). */
  user: string;
  database: string;
  startTimeoutMs: number;
  probes: Probe[];
  probeTimeoutMs: number;
}

type Spec = Extract<SourceSpec, { kind: "pgbackrest" }>;
// Only the socket file's name: the scratch server listens on no TCP port at all.
const SOCKET_PORT = 5432;

/**
 * exists (the backup set is still in `info`) → integrity (`pgbackrest verify`: every
 * file's checksum and WAL continuity) → restore into a scratch data directory and start
 * PostgreSQL there until recovery ends → query (probes). The server is stopped and the
 * directory removed however it ends.
 */
export async function verifyPgBackRest(spec: Spec, label: string, pgVersion: string, o: VerifyOptions, p: PgBackRestPorts): Promise<Evidence> {
  const ev = newEvidence(spec.text, spec.kind, o.requested, o.target, o.point);
  return verifyWithScratch(ev, o, (scratch) => run(spec, label, pgVersion, o, p, ev, scratch));
}

async function run(spec: Spec, label: string, pgVersion: string, o: VerifyOptions, p: PgBackRestPorts, ev: Evidence, scratch: Scratch): Promise<void> {
  const fresh = freshness(new Date(o.point.time), o.now, o.maxAge.text, o.maxAge.ms);
  ev.freshness = fresh;
  if (!fresh.ok) return void ev.findings.push(`stale: ${fresh.detail}`);
  const br = p.pgbackrest();
  const set = (await br.backups(spec.stanza, o.signal)).find((b) => b.label === label);
  if (!set) return void ev.findings.push(`backup set ${label} is no longer in stanza ${spec.stanza}`);
  if (set.error) return void ev.findings.push(`backup set ${label} is marked as having errors by pgBackRest`);
  ev.level.reached = "exists";
  if (rank(o.target) < rank("integrity")) return;

  const verified = await br.verify(spec.stanza, label, o.signal);
  if (o.signal.aborted) throw new Interrupted("pgbackrest verify");
  ev.checksums.push({
    object: `${spec.stanza}/${label}`,
    algorithm: "pgBackRest verify (SHA-1 per file, WAL continuity)",
    expectedFrom: "backup manifest",
    expected: "valid",
    actual: verified.ok ? "valid" : "invalid",
    how: "full-read",
    ok: verified.ok,
  });
  if (!verified.ok) return void ev.findings.push(`integrity: ${verified.detail}`);
  ev.level.reached = "integrity";
  if (rank(o.target) < rank("restore")) return;

  const dir = br.makeScratchDir(p.scratchBase, p.dirName, { purpose: "verify-backup", source: spec.text, pgVersion, ...o.marker });
  const cluster = { dir, socketDir: dir, port: SOCKET_PORT };
  scratch.add({ kind: "pgbackrest-scratch-dir", id: dir }, async () => {
    await br.stop(cluster, pgVersion);
    return br.removeDir(dir);
  });
  o.log(`restoring ${spec.stanza} ${label} into ${dir}`);
  const started = Date.now();
  const restored = await br.restore(spec.stanza, label, dir, o.signal);
  if (restored.aborted || o.signal.aborted) throw new Interrupted("restore");
  if (!restored.ok) {
    ev.restore = { target: dir, durationMs: Date.now() - started, detail: restored.detail };
    return void ev.findings.push(`restore: ${restored.detail}`);
  }
  const up = await br.start(cluster, pgVersion, p.startTimeoutMs, o.signal);
  if (o.signal.aborted) throw new Interrupted("restore");
  if (!up.ok) {
    ev.restore = { target: dir, durationMs: Date.now() - started, detail: up.detail };
    return void ev.findings.push(`restore: ${up.detail}`);
  }
  const target = { host: dir, port: SOCKET_PORT, user: p.user, database: p.database };
  // pg_ctl returns once connections are accepted; the restore is done when recovery has ended and the server promoted.
  const deadline = Date.now() + p.startTimeoutMs;
  for (;;) {
    const inRecovery = await probeOnce(target, "select pg_is_in_recovery()", 5000).catch((e) => e as Error);
    if (inRecovery === false) break;
    if (Date.now() > deadline) {
      ev.restore = { target: dir, durationMs: Date.now() - started, detail: "still in recovery" };
      return void ev.findings.push(
        `restore: recovery did not end within ${Math.round(p.startTimeoutMs / 1000)} s${inRecovery instanceof Error ? ` (${inRecovery.message})` : ""}`,
      );
    }
    await pause(250, o.signal, "restore");
  }
  ev.restore = {
    target: `${dir} (PostgreSQL ${pgVersion}, Unix socket only)`,
    durationMs: Date.now() - started,
    detail: `restored, recovered and promoted in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  };
  ev.level.reached = "restore";
  if (rank(o.target) < rank("query")) return;

  for (const probe of p.probes) {
    if (o.signal.aborted) throw new Interrupted("probe queries");
    try {
      ev.probes.push(judgeProbe(probe, await probeOnce(target, probe.sql, p.probeTimeoutMs)));
    } catch (e) {
      ev.probes.push({ sql: probe.sql, expect: probe.expect, value: null, ok: false, detail: `query failed: ${(e as Error).message.split("\n")[0]}` });
    }
  }
  const failed = ev.probes.filter((r) => !r.ok);
  if (failed.length) return void ev.findings.push(...failed.map((r) => `probe ${JSON.stringify(r.sql)}: ${r.detail}`));
  ev.level.reached = "query";
}
