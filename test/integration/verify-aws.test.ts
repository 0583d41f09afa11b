import { beforeAll, describe, expect, test } from "bun:test";
import { CreateSnapshotCommand, DescribeVolumesCommand } from "@aws-sdk/client-ec2";
import type { Level } from "../../src/commands/verify-backup/levels.ts";
import { verifyEbs } from "../../src/commands/verify-backup/verify-ebs.ts";
import type { VerifyOptions } from "../../src/commands/verify-backup/verify-pgdump.ts";
import { verifyS3 } from "../../src/commands/verify-backup/verify-s3.ts";
import { createEbsRestore } from "../../src/providers/aws/ebs-restore.ts";
import { createS3Backups } from "../../src/providers/aws/s3-backups.ts";
import { Moto } from "../support/moto.ts";
import { backupSet, bucket } from "../support/s3-backups.ts";

// moto: S3 objects and checksums are real data; an EBS "restore" is control flow only
// (moto makes a volume from a snapshot available at once and holds no blocks).

const moto = new Moto();
const aws = {
  region: "us-east-1",
  endpoint: moto.url,
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  maxAttempts: 1,
  requestTimeoutMs: 5000,
};

function options(target: Level, point: Partial<VerifyOptions["point"]> = {}, over: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    requested: target,
    target,
    point: { id: "p", time: new Date().toISOString(), sizeBytes: 1, location: "x", ...point },
    maxAge: { text: "26h", ms: 26 * 3600_000 },
    now: new Date(),
    signal: new AbortController().signal,
    log: () => {},
    marker: { environment: "test", planDigest: "sha256:abc", expiresAt: "2030-01-01T00:00:00.000Z" },
    ...over,
  };
}

const s3Ports = { s3: () => createS3Backups(aws), manifests: ["manifest.json", "SHA256SUMS"], manifestMaxBytes: 1 << 20 };
const s3spec = (b: string, prefix: string) => ({ kind: "s3" as const, text: `s3://${b}/${prefix}`, bucket: b, prefix });

beforeAll(async () => {
  await moto.reset();
  await bucket("vb-aws");
  const files = { "base.tar": "a".repeat(5000), "wal-0001": "b".repeat(3000) };
  await backupSet("vb-aws", "good-json/", files);
  await backupSet("vb-aws", "good-sums/", files, { manifest: "sums", storeSha256: false });
  await backupSet("vb-aws", "truncated/", files, { truncate: "wal-0001" });
  await backupSet("vb-aws", "truncated-unstored/", files, { truncate: "wal-0001", storeSha256: false });
  await backupSet("vb-aws", "no-manifest/", files, { manifest: "none" });
});

describe("verify-backup S3 engine (moto)", () => {
  test("manifest + stored SHA-256: compared without reading the data", async () => {
    const ev = await verifyS3(s3spec("vb-aws", "good-json/"), options("integrity"), s3Ports);
    expect(ev.findings).toEqual([]);
    expect(ev.verified).toBe(true);
    expect(ev.checksums.map((c) => [c.object, c.how, c.ok])).toEqual([
      ["s3://vb-aws/good-json/base.tar", "stored-checksum", true],
      ["s3://vb-aws/good-json/wal-0001", "stored-checksum", true],
    ]);
  });

  test("SHA256SUMS without stored checksums: each object read in full", async () => {
    const ev = await verifyS3(s3spec("vb-aws", "good-sums/"), options("integrity"), s3Ports);
    expect(ev.verified).toBe(true);
    expect(ev.checksums.every((c) => c.how === "full-read" && c.expectedFrom === "manifest")).toBe(true);
  });

  test("a truncated object is a checksum mismatch (stored checksum and full read)", async () => {
    for (const prefix of ["truncated/", "truncated-unstored/"]) {
      const ev = await verifyS3(s3spec("vb-aws", prefix), options("integrity"), s3Ports);
      expect(ev.verified).toBe(false);
      expect(ev.level.reached).toBe("exists");
      expect(ev.findings).toHaveLength(1);
      expect(ev.findings[0]).toContain(`checksum mismatch: s3://vb-aws/${prefix}wal-0001 manifest SHA-256`);
      expect(ev.findings[0]).toContain("(1500 bytes, expected 3000)");
    }
  });

  test("no manifest: full read against the stored checksum", async () => {
    const ev = await verifyS3(s3spec("vb-aws", "no-manifest/"), options("integrity"), s3Ports);
    expect(ev.verified).toBe(true);
    expect(ev.checksums.map((c) => c.expectedFrom)).toEqual(["S3 stored checksum", "S3 stored checksum"]);
  });

  test("stale prefix: freshness finding; exists level passes otherwise", async () => {
    const stale = await verifyS3(s3spec("vb-aws", "good-json/"), options("integrity", { time: "2020-01-01T00:00:00.000Z" }), s3Ports);
    expect(stale.findings[0]).toStartWith("stale: newest recovery point 2020-01-01T00:00:00.000Z");
    const exists = await verifyS3(s3spec("vb-aws", "good-json/"), options("exists"), s3Ports);
    expect(exists).toMatchObject({ verified: true, checksums: [], level: { reached: "exists" } });
  });
});

describe("verify-backup EBS engine (moto: restore is control flow only)", () => {
  const ebsPorts = { ebs: () => createEbsRestore(aws), availabilityZone: "us-east-1a", volumeType: "gp3", waitTimeoutMs: 10_000, pollMs: 50 };
  const spec = { kind: "ebs-snapshots" as const, text: "ebs-snapshots:tag:backup=db", tag: { key: "backup", value: "db" } };

  test("restore creates a tagged scratch volume, waits for it and deletes it", async () => {
    const vol = await moto.volume({ tags: { backup: "db" } });
    const snap = await moto.ec2.send(new CreateSnapshotCommand({ VolumeId: vol }));
    const before = (await moto.volumeIds()).length;
    const logs: string[] = [];
    const ev = await verifyEbs(spec, snap.SnapshotId as string, options("restore", {}, { log: (m) => logs.push(m) }), ebsPorts);
    expect(ev.findings).toEqual([]);
    expect(ev.verified).toBe(true);
    expect(ev.restore?.target).toMatch(/^ebs-volume vol-[0-9a-f]+ \(8 GiB, us-east-1a\)$/);
    expect(ev.teardown.created).toHaveLength(1);
    expect(ev.teardown.removed).toEqual(ev.teardown.created);
    expect((await moto.volumeIds()).length).toBe(before);
    expect(logs.some((l) => l.startsWith(`restoring ${snap.SnapshotId} into scratch volume vol-`))).toBe(true);
  });

  test("a missing snapshot is a finding; nothing is created", async () => {
    const ev = await verifyEbs(spec, "snap-0123456789abcdef0", options("restore"), ebsPorts);
    expect(ev.findings).toEqual(["snapshot snap-0123456789abcdef0 no longer exists"]);
    expect(ev.teardown.created).toEqual([]);
  });

  test("a failed delete leaves a reported leftover (by id)", async () => {
    const vol = await moto.volume({ tags: { backup: "db" } });
    const snap = await moto.ec2.send(new CreateSnapshotCommand({ VolumeId: vol }));
    const real = await createEbsRestore(aws);
    const ev = await verifyEbs(spec, snap.SnapshotId as string, options("restore"), {
      ...ebsPorts,
      ebs: async () => ({ ...real, deleteVolume: async () => Promise.reject(new Error("UnauthorizedOperation: not allowed")) }),
    });
    const id = ev.teardown.created[0]?.id as string;
    expect(ev.teardown.leftovers).toEqual([{ kind: "ebs-volume", id, error: "UnauthorizedOperation: not allowed" }]);
    expect(ev.verified).toBe(false);
    expect(ev.findings).toEqual([`teardown left ebs-volume ${id}`]);
    const left = await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }));
    expect(left.Volumes?.[0]?.Tags).toContainEqual({ Key: "opsctl:purpose", Value: "verify-backup" });
    await real.deleteVolume(id);
  });
});
