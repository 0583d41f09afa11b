import type { DryRunVerdict } from "./ec2.ts";
import { awsErrorInfo, DENIED_CODES } from "./errors.ts";
import { type AwsClientOptions, awsClient } from "./options.ts";

// EBS snapshots as recovery points, and scratch volumes restored from them. Kept apart
// from ec2.ts (cleanup-volumes' port): a restore test creates volumes, which nothing
// else in opsctl does, and its calls are worth reading in one place.

export interface Snapshot {
  id: string;
  volumeId: string;
  state: string;
  progress: string;
  startTime: Date;
  sizeGiB: number;
  encrypted: boolean;
  tags: Record<string, string>;
}

export interface ScratchVolume {
  id: string;
  state: string;
  sizeGiB: number;
  snapshotId: string;
  tags: Record<string, string>;
}

export interface EbsRestorePort {
  /** Snapshots owned by this account that carry the tag (DLM and AWS Backup copy the volume's tags onto them). */
  snapshotsByTag(key: string, value: string): Promise<Snapshot[]>;
  getSnapshot(id: string): Promise<Snapshot | undefined>;
  checkCreateVolume(snapshotId: string, availabilityZone: string, volumeType: string): Promise<DryRunVerdict>;
  createVolume(snapshotId: string, availabilityZone: string, volumeType: string, tags: Record<string, string>): Promise<string>;
  getVolume(id: string): Promise<ScratchVolume | undefined>;
  deleteVolume(id: string): Promise<"deleted" | "not-found">;
  /** Volumes carrying all these tags (scratch volumes of earlier runs). */
  volumesByTags(tags: Record<string, string>): Promise<ScratchVolume[]>;
}

export async function createEbsRestore(opts: AwsClientOptions): Promise<EbsRestorePort> {
  const sdk = await import("./sdk/ec2.ts");
  const client = awsClient(sdk.EC2Client, "ec2", opts);
  // CreateVolume is idempotent only with a ClientToken; one attempt per call, and the
  // scratch tracker finds a volume an unanswered call may still have made by its tags.
  const once = awsClient(sdk.EC2Client, "ec2", opts, { maxAttempts: 1 });
  const tagFilters = (tags: Record<string, string>) => Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));

  return {
    async snapshotsByTag(key, value) {
      const out: Snapshot[] = [];
      for await (const page of sdk.paginateDescribeSnapshots({ client, pageSize: 1000 }, { OwnerIds: ["self"], Filters: tagFilters({ [key]: value }) })) {
        for (const s of page.Snapshots ?? []) out.push(toSnapshot(s));
      }
      return out;
    },
    async getSnapshot(id) {
      try {
        const r = await client.send(new sdk.DescribeSnapshotsCommand({ SnapshotIds: [id] }));
        const s = r.Snapshots?.[0];
        return s ? toSnapshot(s) : undefined;
      } catch (e) {
        if (awsErrorInfo(e).code === "InvalidSnapshot.NotFound") return undefined;
        throw e;
      }
    },
    async checkCreateVolume(snapshotId, availabilityZone, volumeType) {
      try {
        await client.send(
          new sdk.CreateVolumeCommand({ SnapshotId: snapshotId, AvailabilityZone: availabilityZone, VolumeType: volumeType as never, DryRun: true }),
        );
        return { ok: false, code: "DryRunIgnored", message: "the endpoint created a volume instead of a dry run" };
      } catch (e) {
        const info = awsErrorInfo(e);
        if (info.code === "DryRunOperation") return { ok: true };
        if (info.class === "remote" || (info.class === "auth" && !DENIED_CODES.has(info.code))) throw e;
        return { ok: false, code: info.code, message: info.message };
      }
    },
    async createVolume(snapshotId, availabilityZone, volumeType, tags) {
      const r = await once.send(
        new sdk.CreateVolumeCommand({
          SnapshotId: snapshotId,
          AvailabilityZone: availabilityZone,
          VolumeType: volumeType as never,
          TagSpecifications: [{ ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
        }),
      );
      return r.VolumeId ?? "";
    },
    async getVolume(id) {
      try {
        const r = await client.send(new sdk.DescribeVolumesCommand({ VolumeIds: [id] }));
        const v = r.Volumes?.[0];
        return v ? toVolume(v) : undefined;
      } catch (e) {
        if (awsErrorInfo(e).code === "InvalidVolume.NotFound") return undefined;
        throw e;
      }
    },
    async deleteVolume(id) {
      try {
        await client.send(new sdk.DeleteVolumeCommand({ VolumeId: id }));
        return "deleted";
      } catch (e) {
        if (awsErrorInfo(e).code === "InvalidVolume.NotFound") return "not-found";
        throw e;
      }
    },
    async volumesByTags(tags) {
      const out: ScratchVolume[] = [];
      for await (const page of sdk.paginateDescribeVolumes({ client, pageSize: 500 }, { Filters: tagFilters(tags) })) {
        for (const v of page.Volumes ?? []) out.push(toVolume(v));
      }
      return out;
    },
  };
}

type SdkTag = { Key?: string; Value?: string };
const tagMap = (tags: SdkTag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));

// biome-ignore lint/suspicious/noExplicitAny: SDK Snapshot shape, narrowed here once
function toSnapshot(s: any): Snapshot {
  return {
    id: s.SnapshotId ?? "",
    volumeId: s.VolumeId ?? "",
    state: String(s.State ?? "unknown"),
    progress: String(s.Progress ?? ""),
    startTime: s.StartTime instanceof Date ? s.StartTime : new Date(s.StartTime ?? 0),
    sizeGiB: Number(s.VolumeSize ?? 0),
    encrypted: Boolean(s.Encrypted),
    tags: tagMap(s.Tags),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: SDK Volume shape, narrowed here once
function toVolume(v: any): ScratchVolume {
  return { id: v.VolumeId ?? "", state: String(v.State ?? "unknown"), sizeGiB: Number(v.Size ?? 0), snapshotId: v.SnapshotId ?? "", tags: tagMap(v.Tags) };
}
