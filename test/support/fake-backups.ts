import type { EbsRestorePort, ScratchVolume, Snapshot } from "../../src/providers/aws/ebs-restore.ts";
import type { S3BackupsPort, S3Object } from "../../src/providers/aws/s3-backups.ts";
import type { BackupSet, PgBackRestPort } from "../../src/providers/pgbackrest/pgbackrest.ts";
import type { ScratchServer } from "../../src/providers/postgres/scratch.ts";

/**
 * In-memory FAKES of verify-backup's ports, for golden views only (fixed ids, sizes and
 * times). Everything they stand for is tested for real: EBS and S3 against moto,
 * PostgreSQL and pgBackRest against real servers (test/integration, test/e2e).
 */

const T = (iso: string) => new Date(iso);

export function fakeEbs(): EbsRestorePort {
  const snaps: Snapshot[] = [
    {
      id: "snap-0aaa000000000001",
      volumeId: "vol-0orders00000001",
      state: "completed",
      progress: "100%",
      startTime: T("2026-11-28T03:00:00Z"),
      sizeGiB: 100,
      encrypted: true,
      tags: { backup: "orders-db" },
    },
    {
      id: "snap-0aaa000000000002",
      volumeId: "vol-0orders00000001",
      state: "pending",
      progress: "40%",
      startTime: T("2026-11-28T11:00:00Z"),
      sizeGiB: 100,
      encrypted: true,
      tags: { backup: "orders-db" },
    },
    {
      id: "snap-0bbb000000000001",
      volumeId: "vol-0ledger00000001",
      state: "completed",
      progress: "100%",
      startTime: T("2026-11-25T03:00:00Z"),
      sizeGiB: 20,
      encrypted: true,
      tags: { backup: "orders-db" },
    },
  ];
  const volumes = new Map<string, ScratchVolume>();
  let n = 0;
  return {
    snapshotsByTag: async (k, v) => snaps.filter((s) => s.tags[k] === v),
    getSnapshot: async (id) => snaps.find((s) => s.id === id),
    checkCreateVolume: async () => ({ ok: true }),
    createVolume: async (snapshotId, _az, _type, tags) => {
      const id = `vol-0scratch0000000${++n}`;
      volumes.set(id, { id, state: "available", sizeGiB: snaps.find((s) => s.id === snapshotId)?.sizeGiB ?? 0, snapshotId, tags });
      return id;
    },
    getVolume: async (id) => volumes.get(id),
    deleteVolume: async (id) => (volumes.delete(id) ? "deleted" : "not-found"),
    volumesByTags: async () => [],
  };
}

export function fakeS3(): S3BackupsPort {
  const objects: S3Object[] = [
    { key: "nightly/base.tar.zst", size: 734_003_200, lastModified: T("2026-11-28T02:10:00Z"), etag: "e1" },
    { key: "nightly/wal-000000010000000000000042", size: 16_777_216, lastModified: T("2026-11-28T02:12:00Z"), etag: "e2" },
    { key: "nightly/manifest.json", size: 310, lastModified: T("2026-11-28T02:12:30Z"), etag: "e3" },
  ];
  const sha = { "nightly/base.tar.zst": "a".repeat(64), "nightly/wal-000000010000000000000042": "b".repeat(64) } as Record<string, string>;
  const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
  return {
    list: async (_b, prefix) => objects.filter((o) => o.key.startsWith(prefix)),
    head: async (_b, key) => {
      const o = objects.find((x) => x.key === key);
      if (!o) return undefined;
      // The WAL segment was cut short on upload: its stored checksum is of what arrived.
      const stored = key.includes("wal-") ? b64("c".repeat(64)) : sha[key] ? b64(sha[key] as string) : undefined;
      return { ...o, ...(stored ? { checksum: { algorithm: "SHA256" as const, value: stored, type: "FULL_OBJECT" } } : {}) };
    },
    sha256: async () => ({ hex: "d".repeat(64), bytes: 0 }),
    readRange: async () => new Uint8Array(),
    readText: async () =>
      JSON.stringify({ files: Object.entries(sha).map(([key, sha256]) => ({ key, sha256, size: objects.find((o) => o.key === key)?.size })) }),
    download: async () => ({ hex: "", bytes: 0 }),
  };
}

export function fakeScratchServer(): ScratchServer {
  return {
    connection: { host: "scratch-db.internal", port: 5432, user: "verify" },
    role: async () => ({ user: "verify", createdb: true, superuser: false, serverVersion: "15.18", serverMajor: 15 }),
    createDatabase: async () => {},
    dropDatabase: async () => "dropped",
    probe: async () => 0,
    leftovers: async () => [
      {
        name: "opsctl_verify_20261127030000_1",
        marker: {
          purpose: "verify-backup",
          environment: "prod",
          planDigest: "sha256:0123456789ab",
          source: "pgdump:/backups/orders.dump",
          expiresAt: "2026-11-27T09:00:00.000Z",
        },
      },
    ],
    close: async () => {},
  };
}

export function fakePgBackRest(): PgBackRestPort {
  const sets: BackupSet[] = [
    {
      label: "20261128-010000F",
      type: "full",
      stop: T("2026-11-28T01:20:00Z"),
      sizeBytes: 52_428_800_000,
      repoSizeBytes: 9_663_676_416,
      pgVersion: "15",
      error: false,
    },
  ];
  return {
    backups: async () => sets,
    verify: async () => ({ ok: true, detail: "verify status ok" }),
    restore: async () => ({ ok: true, detail: "restored", durationMs: 1, aborted: false }),
    start: async () => ({ ok: true, detail: "started", durationMs: 1 }),
    stop: async () => "removed",
    makeScratchDir: (base, name) => `${base}/${name}`,
    leftovers: () => [],
    removeDir: () => "removed",
  };
}
