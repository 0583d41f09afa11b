import { open, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { EbsRestorePort, Snapshot } from "../../providers/aws/ebs-restore.ts";
import type { S3BackupsPort } from "../../providers/aws/s3-backups.ts";
import type { PgBackRestPort } from "../../providers/pgbackrest/pgbackrest.ts";
import { HEADER_BYTES, parseDumpHeader } from "../../providers/postgres/dump.ts";
import type { RecoveryPoint } from "./evidence.ts";
import type { SourceSpec } from "./sources.ts";

// Discovery (read-only): the recovery point each source would verify. A source with no
// recovery point at all is not skipped: it is planned, and its verification fails.

export interface Found {
  spec: SourceSpec;
  /** Distinguishes several points of one spec (one per EBS volume). */
  key?: string;
  point: RecoveryPoint | null;
  /** Why there is no point, or what is odd about it (a pending newer snapshot, a non-custom archive). */
  note?: string;
  /** Kind-specific facts recorded in the plan (snapshot id, object count, dump header). */
  facts: Record<string, string | number | boolean>;
}

export interface DiscoverPorts {
  ebs: () => Promise<EbsRestorePort>;
  s3: () => Promise<S3BackupsPort>;
  pgbackrest: () => Promise<PgBackRestPort>;
  cwd: string;
}

export async function discover(spec: SourceSpec, p: DiscoverPorts): Promise<Found[]> {
  switch (spec.kind) {
    case "ebs-snapshots":
      return ebsPoints(spec, await (await p.ebs()).snapshotsByTag(spec.tag.key, spec.tag.value));
    case "s3": {
      const objects = await (await p.s3()).list(spec.bucket, spec.prefix);
      if (!objects.length) return [{ spec, point: null, note: `no objects under s3://${spec.bucket}/${spec.prefix}`, facts: {} }];
      const newest = objects.reduce((a, b) => (b.lastModified > a.lastModified ? b : a));
      const size = objects.reduce((n, o) => n + o.size, 0);
      return [
        {
          spec,
          point: {
            id: `s3://${spec.bucket}/${spec.prefix}`,
            time: newest.lastModified.toISOString(),
            sizeBytes: size,
            location: `s3://${spec.bucket}/${spec.prefix}`,
          },
          facts: { objects: objects.length, newestObject: newest.key },
        },
      ];
    }
    case "postgres-dump": {
      if (spec.location.kind === "file") {
        const path = resolve(p.cwd, spec.location.path);
        let st: Awaited<ReturnType<typeof stat>>;
        try {
          st = await stat(path);
        } catch (e) {
          return [{ spec, point: null, note: `${path}: ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`, facts: {} }];
        }
        if (!st.isFile()) return [{ spec, point: null, note: `${path} is not a file`, facts: {} }];
        const facts = await header(async () => {
          const fh = await open(path, "r");
          try {
            const buf = new Uint8Array(HEADER_BYTES);
            const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
            return buf.subarray(0, bytesRead);
          } finally {
            await fh.close();
          }
        });
        return [{ spec, point: { id: path, time: st.mtime.toISOString(), sizeBytes: st.size, location: path }, ...facts }];
      }
      const { bucket, key } = spec.location;
      const s3 = await p.s3();
      const head = await s3.head(bucket, key);
      if (!head) return [{ spec, point: null, note: `s3://${bucket}/${key} does not exist`, facts: {} }];
      const facts = await header(() => s3.readRange(bucket, key, Math.min(HEADER_BYTES, Math.max(1, head.size))));
      return [
        {
          spec,
          point: { id: `s3://${bucket}/${key}`, time: head.lastModified.toISOString(), sizeBytes: head.size, location: `s3://${bucket}/${key}` },
          ...facts,
          facts: { ...facts.facts, etag: head.etag, ...(head.checksum ? { storedChecksum: head.checksum.algorithm } : {}) },
        },
      ];
    }
    case "pgbackrest": {
      const sets = (await (await p.pgbackrest()).backups(spec.stanza)).sort((a, b) => a.stop.getTime() - b.stop.getTime());
      const good = sets.filter((b) => !b.error);
      const newest = good.at(-1);
      if (!newest)
        return [
          {
            spec,
            point: null,
            note: sets.length ? `every backup set of stanza ${spec.stanza} has errors` : `stanza ${spec.stanza} has no backup sets`,
            facts: {},
          },
        ];
      const failedLater = sets.filter((b) => b.error && b.stop > newest.stop).length;
      return [
        {
          spec,
          point: { id: newest.label, time: newest.stop.toISOString(), sizeBytes: newest.sizeBytes, location: `pgbackrest stanza ${spec.stanza}` },
          ...(failedLater ? { note: `${failedLater} newer backup set(s) marked with errors` } : {}),
          facts: { label: newest.label, backupType: newest.type, pgVersion: newest.pgVersion, repoSizeBytes: newest.repoSizeBytes, backupSets: sets.length },
        },
      ];
    }
  }
}

/** Newest completed snapshot per source volume; a newer one still pending is noted, not chosen. */
export function ebsPoints(spec: Extract<SourceSpec, { kind: "ebs-snapshots" }>, snapshots: Snapshot[]): Found[] {
  if (!snapshots.length) return [{ spec, point: null, note: `no snapshot carries tag ${spec.tag.key}=${spec.tag.value}`, facts: {} }];
  const byVolume = new Map<string, Snapshot[]>();
  for (const s of snapshots) byVolume.set(s.volumeId, [...(byVolume.get(s.volumeId) ?? []), s]);
  const out: Found[] = [];
  for (const [volumeId, list] of [...byVolume.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...list].sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || b.id.localeCompare(a.id));
    const done = sorted.find((s) => s.state === "completed");
    const pending = sorted.filter((s) => s.state === "pending" && (!done || s.startTime > done.startTime)).length;
    const note = pending ? `${pending} newer snapshot(s) of ${volumeId} still pending` : undefined;
    if (!done) {
      out.push({
        spec,
        key: volumeId,
        point: null,
        note: `no completed snapshot of ${volumeId} (${sorted.map((s) => `${s.id} ${s.state}`).join(", ")})`,
        facts: { volumeId },
      });
      continue;
    }
    out.push({
      spec,
      key: volumeId,
      point: { id: done.id, time: done.startTime.toISOString(), sizeBytes: done.sizeGiB * 1024 ** 3, location: `ebs-snapshot ${done.id} of ${volumeId}` },
      ...(note ? { note } : {}),
      facts: { volumeId, snapshotId: done.id, sizeGiB: done.sizeGiB, encrypted: done.encrypted, snapshotsOfVolume: list.length },
    });
  }
  return out;
}

async function header(read: () => Promise<Uint8Array>): Promise<{ note?: string; facts: Record<string, string> }> {
  const h = parseDumpHeader(await read());
  if (typeof h === "string") return { note: h, facts: {} };
  const facts: Record<string, string> = { archiveFormat: h.format, archiveVersion: h.archiveVersion };
  if (h.database) facts.dumpedDatabase = h.database;
  if (h.serverVersion) facts.dumpedFromServer = h.serverVersion;
  if (h.dumpVersion) facts.dumpedWithPgDump = h.dumpVersion;
  if (h.createdLocal) facts.dumpCreatedLocal = h.createdLocal;
  return { facts };
}
