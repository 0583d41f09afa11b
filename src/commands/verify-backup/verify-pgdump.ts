import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { S3BackupsPort } from "../../providers/aws/s3-backups.ts";
import { checksumHex } from "../../providers/aws/s3-backups.ts";
import { listArchive, readThrough, restoreArchive } from "../../providers/postgres/dump.ts";
import type { Located } from "../../providers/postgres/pg-tools.ts";
import type { ScratchServer } from "../../providers/postgres/scratch.ts";
import { type ChecksumEvidence, type Evidence, newEvidence, type RecoveryPoint } from "./evidence.ts";
import { freshness, type Level, rank } from "./levels.ts";
import { judgeProbe, type Probe } from "./probes.ts";
import { Interrupted, type Scratch, verifyWithScratch } from "./scratch.ts";
import type { SourceSpec } from "./sources.ts";

export interface VerifyOptions {
  requested: Level;
  target: Level;
  point: RecoveryPoint;
  maxAge: { text: string; ms: number };
  now: Date;
  signal: AbortSignal;
  log: (m: string) => void;
  /** Tags/markers every scratch resource carries. */
  marker: { environment: string; planDigest: string; expiresAt: string };
}

export interface PgDumpPorts {
  pgRestore: () => Promise<Located>;
  s3?: () => Promise<S3BackupsPort>;
  scratch?: () => Promise<ScratchServer>;
  probes: Probe[];
  probeTimeoutMs: number;
  jobs: number;
  env: Record<string, string | undefined>;
  tmpDir: string;
  /** Scratch database name for this source (unique per plan and action). */
  database: string;
}

type DumpSpec = Extract<SourceSpec, { kind: "postgres-dump" }>;

/**
 * exists → integrity (pg_restore --list, then every block read through) → restore into
 * a scratch database → query (probes). Stops at the first failed level; scratch
 * resources (a downloaded copy, the database) are torn down however it ends.
 */
export async function verifyPgDump(spec: DumpSpec, o: VerifyOptions, p: PgDumpPorts): Promise<Evidence> {
  const ev = newEvidence(spec.text, spec.kind, o.requested, o.target, o.point);
  return verifyWithScratch(ev, o, (scratch) => run(spec, o, p, ev, scratch));
}

async function run(spec: DumpSpec, o: VerifyOptions, p: PgDumpPorts, ev: Evidence, scratch: Scratch): Promise<void> {
  const fresh = freshness(new Date(o.point.time), o.now, o.maxAge.text, o.maxAge.ms);
  ev.freshness = fresh;
  if (!fresh.ok) return void ev.findings.push(`stale: ${fresh.detail}`);
  ev.level.reached = "exists";
  if (rank(o.target) < rank("integrity")) return;

  const located = await p.pgRestore();
  if (!located.ok) return void ev.findings.push(located.message);
  const tool = located.tool;
  let path: string;
  if (spec.location.kind === "file") path = spec.location.path;
  else {
    const { bucket, key } = spec.location;
    const s3 = await (p.s3 as () => Promise<S3BackupsPort>)();
    const dir = mkdtempSync(join(p.tmpDir, "opsctl-verify-"));
    scratch.add({ kind: "local-copy", id: dir }, async () => {
      rmSync(dir, { recursive: true, force: true });
      return "removed";
    });
    path = join(dir, "archive.dump");
    o.log(`downloading s3://${bucket}/${key}`);
    const head = await s3.head(bucket, key);
    if (!head) return void ev.findings.push(`s3://${bucket}/${key} no longer exists`);
    const got = await s3.download(bucket, key, path, o.signal);
    if (o.signal.aborted) throw new Interrupted("download");
    const stored = head.checksum?.algorithm === "SHA256" ? checksumHex(head.checksum) : undefined;
    ev.checksums.push({
      object: `s3://${bucket}/${key}`,
      algorithm: "SHA256",
      expectedFrom: stored ? "S3 stored checksum" : "none stored (size only)",
      expected: stored ?? "",
      actual: got.hex,
      how: "full-read",
      sizeExpected: head.size,
      sizeActual: got.bytes,
      ok: got.bytes === head.size && (!stored || stored === got.hex),
    });
    if (got.bytes !== head.size) return void ev.findings.push(`download of s3://${bucket}/${key} was ${got.bytes} bytes, the object is ${head.size}`);
    if (stored && stored !== got.hex) return void ev.findings.push(`checksum mismatch: s3://${bucket}/${key} stored SHA-256 ${stored}, read ${got.hex}`);
  }

  if (spec.location.kind === "file") {
    const c = await fileChecksum(path);
    ev.checksums.push(c);
    if (!c.ok) return void ev.findings.push(`checksum mismatch: ${path} ${c.expectedFrom} SHA-256 ${c.expected.slice(0, 16)}…, read ${c.actual.slice(0, 16)}…`);
  }
  const list = await listArchive(tool, path, o.signal);
  if (list.aborted) throw new Interrupted("pg_restore --list");
  if (!list.ok) return void ev.findings.push(`integrity: ${list.detail}`);
  const through = await readThrough(tool, path, o.signal);
  if (through.aborted) throw new Interrupted("reading the archive through");
  if (!through.ok) return void ev.findings.push(`integrity: ${through.detail}`);
  ev.level.reached = "integrity";
  if (rank(o.target) < rank("restore")) return;

  const server = await (p.scratch as () => Promise<ScratchServer>)();
  const db = p.database;
  // Registered before CREATE DATABASE: an interrupt between the two still drops it.
  scratch.add({ kind: "postgres-database", id: db }, async () => ((await server.dropDatabase(db)) === "dropped" ? "removed" : "not-found"), {
    confirmed: false,
  });
  await server.createDatabase(db, { purpose: "verify-backup", source: spec.text, ...o.marker });
  scratch.confirm(db);
  o.log(`restoring ${spec.text} into scratch database ${db}`);
  const restored = await restoreArchive(tool, path, server.connection, db, { signal: o.signal, jobs: p.jobs, env: p.env });
  ev.restore = { target: `postgres://${server.connection.host}:${server.connection.port}/${db}`, durationMs: restored.durationMs, detail: restored.detail };
  if (restored.aborted || o.signal.aborted) throw new Interrupted("restore");
  if (!restored.ok) return void ev.findings.push(`restore: ${restored.detail}`);
  ev.level.reached = "restore";
  if (rank(o.target) < rank("query")) return;

  for (const probe of p.probes) {
    if (o.signal.aborted) throw new Interrupted("probe queries");
    let value: unknown;
    try {
      value = await server.probe(db, probe.sql, p.probeTimeoutMs);
    } catch (e) {
      const r = { sql: probe.sql, expect: probe.expect, value: null, ok: false, detail: `query failed: ${(e as Error).message.split("\n")[0]}` };
      ev.probes.push(r);
      continue;
    }
    ev.probes.push(judgeProbe(probe, value));
  }
  const failed = ev.probes.filter((r) => !r.ok);
  if (failed.length) return void ev.findings.push(...failed.map((r) => `probe ${JSON.stringify(r.sql)}: ${r.detail}`));
  ev.level.reached = "query";
}

/**
 * A local archive is hashed in full; where the backup job left a `<file>.sha256` beside it
 * (sha256sum's format), the two are compared, else the hash is only recorded.
 */
async function fileChecksum(path: string): Promise<ChecksumEvidence> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  const actual = hash.digest("hex");
  const sidecar = `${path}.sha256`;
  const expected = existsSync(sidecar) ? (/^([0-9a-fA-F]{64})\b/.exec(readFileSync(sidecar, "utf8").trim())?.[1]?.toLowerCase() ?? "unreadable") : "";
  return {
    object: path,
    algorithm: "SHA256",
    expectedFrom: expected ? `${sidecar}` : "none (no .sha256 beside the archive); recorded",
    expected,
    actual,
    how: "full-read",
    sizeActual: bytes,
    ok: expected === "" || expected === actual,
  };
}
