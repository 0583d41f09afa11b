import type { Action } from "../../core/plan.ts";
import type { Found } from "./discover.ts";
import { freshness, humanAge, type Level, levelFor, rank } from "./levels.ts";
import type { Probe } from "./probes.ts";

// Pure: one "verify" action per recovery point, with the exact calls the verification
// will make and the scratch resources it will create, so a reviewer sees the cost and
// the blast radius before anything runs.

export interface ActionInputs {
  level: Level;
  maxAge: { text: string; ms: number };
  now: Date;
  environment: string;
  probes: Probe[];
  scratch: { availabilityZone: string; volumeType: string; ttl: string; server?: string; directory: string };
}

type Call = { service: string; operation: string; parameters: Record<string, unknown> };

export const SCRATCH_TAG = { key: "opsctl:purpose", value: "verify-backup" };

/** Scratch data directories for pgBackRest restores: same scheme. */
export function scratchDirName(createdAt: Date, index: number): string {
  return scratchDatabaseName(createdAt, index).replaceAll("_", "-");
}

/** Scratch database names: deterministic from the plan's time and the action's position, shown in the plan. */
export function scratchDatabaseName(createdAt: Date, index: number): string {
  return `opsctl_verify_${createdAt
    .toISOString()
    .replace(/[-:TZ.]/g, "")
    .slice(0, 14)}_${index + 1}`;
}

export function verifyAction(f: Found, index: number, i: ActionInputs): Action {
  const { level, capped } = levelFor(f.spec.kind, i.level);
  const id = `verify:${f.spec.text}${f.key ? `#${f.key}` : ""}`;
  if (!f.point) {
    return {
      id,
      resource: { type: `backup.${f.spec.kind}`, id: f.key ?? f.spec.text, attributes: { source: f.spec.text, recoveryPoint: "none" } },
      operation: "verify",
      reason: {
        summary: `NO recovery point: ${f.note}; verification will fail`,
        evidence: { source: f.spec.text, recoveryPoint: "none", finding: f.note ?? "", levelRequested: i.level, level },
      },
      call: { service: "opsctl", operation: "report-missing", parameters: { source: f.spec.text } },
      checks: [],
      preconditions: [],
    };
  }
  const fresh = freshness(new Date(f.point.time), i.now, i.maxAge.text, i.maxAge.ms);
  const calls = callsFor(f, level, index, i);
  const scratch = scratchFor(f, level, index, i);
  const age = humanAge(fresh.ageSeconds * 1000);
  const summary = [
    `${f.point.id}, taken ${f.point.time}, ${formatBytes(f.point.sizeBytes)}, ${age} old`,
    fresh.ok ? `fresh (≤ ${i.maxAge.text})` : `STALE (> ${i.maxAge.text}): will fail freshness`,
    `verify at ${level}${capped ? ` (${capped})` : ""}`,
    ...(scratchName(f, level, index, i) ? [`scratch ${scratchName(f, level, index, i)}`] : []),
    ...(f.spec.kind === "ebs-snapshots" && rank(level) >= rank("restore") ? [`scratch volume in ${i.scratch.availabilityZone}`] : []),
    ...(f.note ? [f.note] : []),
  ].join("; ");
  return {
    id,
    resource: {
      type: `backup.${f.spec.kind}`,
      id: f.point.id,
      ...(f.key ? { name: f.key } : {}),
      attributes: {
        source: f.spec.text,
        location: f.point.location,
        time: f.point.time,
        sizeBytes: f.point.sizeBytes,
        ...f.facts,
        ...(scratchName(f, level, index, i) ? { scratchName: scratchName(f, level, index, i) as string } : {}),
      },
    },
    operation: "verify",
    reason: {
      summary,
      evidence: {
        source: f.spec.text,
        recoveryPoint: f.point.id,
        time: f.point.time,
        sizeBytes: f.point.sizeBytes,
        ageSeconds: fresh.ageSeconds,
        maxAge: i.maxAge.text,
        fresh: fresh.ok,
        levelRequested: i.level,
        level,
        scratch,
        ...(f.note ? { note: f.note } : {}),
      },
    },
    call: calls[calls.length - 1] as Call,
    steps: calls.slice(0, -1),
    checks: [{ name: "freshness", status: fresh.ok ? "passed" : "warning", detail: fresh.detail }],
    // None: a backup that changed or vanished since planning is a verification result
    // (the handler re-reads it), not drift to skip quietly.
    preconditions: [],
  };
}

/** The name of the scratch database or directory an action creates (recorded so a saved plan applies the same). */
function scratchName(f: Found, level: Level, index: number, i: ActionInputs): string | undefined {
  if (rank(level) < rank("restore")) return undefined;
  if (f.spec.kind === "postgres-dump") return scratchDatabaseName(i.now, index);
  if (f.spec.kind === "pgbackrest") return scratchDirName(i.now, index);
  return undefined;
}

/** The scratch resources an action will create, as plain words for the plan. */
function scratchFor(f: Found, level: Level, index: number, i: ActionInputs): string[] {
  const out: string[] = [];
  const ttl = `expires ${i.scratch.ttl} after the run`;
  if (f.spec.kind === "ebs-snapshots" && rank(level) >= rank("restore")) {
    out.push(
      `ebs-volume from ${f.point?.id} in ${i.scratch.availabilityZone} (${i.scratch.volumeType}), tagged ${SCRATCH_TAG.key}=${SCRATCH_TAG.value}, ${ttl}; deleted after`,
    );
  }
  if (f.spec.kind === "postgres-dump") {
    if (f.spec.location.kind === "s3" && rank(level) >= rank("integrity")) out.push("local copy of the archive in the temp directory; removed after");
    if (rank(level) >= rank("restore"))
      out.push(`postgres-database ${scratchDatabaseName(i.now, index)} on ${i.scratch.server ?? "the scratch server"}, ${ttl}; dropped after`);
  }
  if (f.spec.kind === "pgbackrest" && rank(level) >= rank("restore")) {
    out.push(
      `data directory ${i.scratch.directory}/${scratchDirName(i.now, index)} with PostgreSQL ${f.facts.pgVersion ?? ""} on a private Unix socket (archiving off), ${ttl}; stopped and removed after`,
    );
  }
  return out;
}

function callsFor(f: Found, level: Level, index: number, i: ActionInputs): Call[] {
  const at = (l: Level) => rank(level) >= rank(l);
  const calls: Call[] = [];
  const spec = f.spec;
  switch (spec.kind) {
    case "ebs-snapshots": {
      calls.push({ service: "ec2", operation: "DescribeSnapshots", parameters: { SnapshotIds: [f.point?.id] } });
      if (at("restore")) {
        calls.push({
          service: "ec2",
          operation: "CreateVolume",
          parameters: {
            SnapshotId: f.point?.id,
            AvailabilityZone: i.scratch.availabilityZone,
            VolumeType: i.scratch.volumeType,
            TagSpecifications: [
              {
                ResourceType: "volume",
                Tags: [
                  `${SCRATCH_TAG.key}=${SCRATCH_TAG.value}`,
                  `opsctl:environment=${i.environment}`,
                  "opsctl:plan-digest",
                  "opsctl:expires-at",
                  `opsctl:source-snapshot=${f.point?.id}`,
                ],
              },
            ],
          },
        });
        calls.push({ service: "ec2", operation: "DescribeVolumes", parameters: { VolumeIds: ["(the scratch volume)"], until: "available" } });
        calls.push({ service: "ec2", operation: "DeleteVolume", parameters: { VolumeId: "(the scratch volume)" } });
      }
      return calls;
    }
    case "s3":
      calls.push({ service: "s3", operation: "ListObjectsV2", parameters: { Bucket: spec.bucket, Prefix: spec.prefix } });
      if (at("integrity")) {
        calls.push({
          service: "s3",
          operation: "GetObject",
          parameters: { Bucket: spec.bucket, Key: `${spec.prefix}{manifest.json|SHA256SUMS}`, when: "the prefix has a manifest" },
        });
        calls.push({
          service: "s3",
          operation: "HeadObject",
          parameters: { Bucket: spec.bucket, Key: "(each object)", ChecksumMode: "ENABLED", count: f.facts.objects ?? 0 },
        });
        calls.push({
          service: "s3",
          operation: "GetObject",
          parameters: { Bucket: spec.bucket, Key: "(each object without a stored SHA-256 matching the manifest)", read: "in full, SHA-256" },
        });
      }
      return calls;
    case "postgres-dump": {
      const path = spec.location.kind === "file" ? (f.point?.id as string) : "(local copy)";
      if (spec.location.kind === "s3") {
        calls.push({ service: "s3", operation: "HeadObject", parameters: { Bucket: spec.location.bucket, Key: spec.location.key, ChecksumMode: "ENABLED" } });
        if (at("integrity"))
          calls.push({
            service: "s3",
            operation: "GetObject",
            parameters: { Bucket: spec.location.bucket, Key: spec.location.key, to: "(local copy)", read: "in full, SHA-256" },
          });
      } else {
        calls.push({ service: "file", operation: "stat", parameters: { path } });
        if (at("integrity")) calls.push({ service: "file", operation: "sha256", parameters: { path, compareWith: `${path}.sha256 (if present)` } });
      }
      if (at("integrity")) {
        calls.push({ service: "pg_restore", operation: "--list", parameters: { archive: path } });
        calls.push({ service: "pg_restore", operation: "--file /dev/null", parameters: { archive: path } });
      }
      if (at("restore")) {
        const db = scratchDatabaseName(i.now, index);
        calls.push({ service: "postgres", operation: "CREATE DATABASE", parameters: { name: db, server: i.scratch.server ?? "(scratch server)" } });
        calls.push({
          service: "pg_restore",
          operation: "restore",
          parameters: { archive: path, dbname: db, options: "--exit-on-error --no-owner --no-privileges" },
        });
        if (at("query"))
          for (const p of i.probes)
            calls.push({ service: "postgres", operation: "probe", parameters: { database: db, sql: p.sql, expect: p.expect, transaction: "read only" } });
        calls.push({ service: "postgres", operation: "DROP DATABASE", parameters: { name: db, with: "FORCE" } });
      }
      return calls;
    }
    case "pgbackrest": {
      const label = f.point?.id;
      calls.push({ service: "pgbackrest", operation: "info", parameters: { stanza: spec.stanza, output: "json" } });
      if (at("integrity"))
        calls.push({
          service: "pgbackrest",
          operation: "verify",
          parameters: { stanza: spec.stanza, output: "text", verbose: true, reads: `the whole repository (verify has no --set); judged on ${label} and WAL` },
        });
      if (at("restore")) {
        const dir = `${i.scratch.directory}/${scratchDirName(i.now, index)}`;
        calls.push({
          service: "pgbackrest",
          operation: "restore",
          parameters: { stanza: spec.stanza, set: label, "pg1-path": `${dir}/data`, type: "immediate", "target-action": "promote", "archive-mode": "off" },
        });
        calls.push({
          service: "pg_ctl",
          operation: "start",
          parameters: { data: `${dir}/data`, listen_addresses: "", unix_socket_directories: dir, archive_mode: "off", until: "recovery ended" },
        });
        if (at("query"))
          for (const p of i.probes)
            calls.push({ service: "postgres", operation: "probe", parameters: { socket: dir, sql: p.sql, expect: p.expect, transaction: "read only" } });
        calls.push({ service: "pg_ctl", operation: "stop", parameters: { data: `${dir}/data`, mode: "immediate" } });
        calls.push({ service: "file", operation: "remove", parameters: { path: dir } });
      }
      return calls;
    }
  }
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 10 ? 0 : 1)} ${units[u]}`;
}
