import { memoryCheckpoint } from "../../core/memory.ts";
import { setOwn } from "../../core/own.ts";
import { awsErrorInfo, DENIED_CODES } from "./errors.ts";
import { type AwsClientOptions, awsClient } from "./options.ts";

export interface Volume {
  id: string;
  state: string;
  sizeGiB: number;
  type: string;
  availabilityZone: string;
  encrypted: boolean;
  /** Attributes EC2 exposes to IAM conditions (ec2:KmsKeyId, ec2:VolumeIops, ...), when set. */
  kmsKeyId?: string;
  iops?: number;
  throughput?: number;
  snapshotId?: string;
  createTime: Date;
  tags: Record<string, string>;
  attachments: { instanceId: string; state: string }[];
}

export interface VolumeQuery {
  states?: string[];
  /** Exact tag matches, pushed to the server as tag:KEY filters. */
  tags?: Record<string, string>;
}

export type DryRunVerdict = { ok: true } | { ok: false; code: string; message: string };

/** DescribeVolumes page size: the documented maximum MaxResults (5–500). */
export const DESCRIBE_PAGE_SIZE = 500;
/**
 * Garbage the SDK leaves per volume it parses (response text, XML parse tree, deserialised
 * objects): measured, one page of 500 volumes grows a fresh process by about 16 MB. Reported
 * to src/core/memory.ts so a long listing is collected about once per page.
 */
const PARSE_GARBAGE_PER_VOLUME = 32 * 1024;
/** Volume ids per batched re-read (one DescribeVolumes with a volume-id filter). */
export const REREAD_BATCH = 100;

export interface Ec2Port {
  /** One page at a time (MaxResults), so callers can process and drop each page. */
  pageVolumes(q: VolumeQuery): AsyncIterable<Volume[]>;
  listVolumes(q: VolumeQuery): Promise<Volume[]>;
  getVolume(id: string): Promise<Volume | undefined>;
  /**
   * Live state of many volumes in few calls: REREAD_BATCH ids per DescribeVolumes, as a
   * volume-id filter (unlike VolumeIds, one missing id does not fail the whole call).
   * Volumes that no longer exist are absent from the map.
   */
  getVolumes(ids: string[]): Promise<Map<string, Volume>>;
  /** DryRun=true: asks the control plane whether the call would be allowed. */
  checkDeleteVolume(id: string): Promise<DryRunVerdict>;
  checkCreateSnapshot(volumeId: string): Promise<DryRunVerdict>;
  /**
   * "not-found" when the volume is already gone: a re-run counts that as done. "in-use" when
   * EC2 refused because it is attached (VolumeInUse): it changed since it was last read.
   */
  deleteVolume(id: string): Promise<"deleted" | "not-found" | "in-use">;
  createSnapshot(volumeId: string, description: string, tags: Record<string, string>): Promise<string>;
  findSnapshots(tags: Record<string, string>): Promise<{ id: string; state: string }[]>;
  waitSnapshotCompleted(snapshotId: string, maxWaitSeconds: number): Promise<void>;
}

export async function createEc2(opts: AwsClientOptions): Promise<Ec2Port> {
  const sdk = await import("./sdk/ec2.ts");
  const client = awsClient(sdk.EC2Client, "ec2", opts);
  // CreateSnapshot is not idempotent (no client token): it gets one attempt per call, and the
  // caller re-reads state before trying again instead of letting the SDK retry blindly.
  const once = awsClient(sdk.EC2Client, "ec2", opts, { maxAttempts: 1 });

  const dryRun = async (send: () => Promise<unknown>): Promise<DryRunVerdict> => {
    try {
      await send();
      // A server that ignores DryRun would have mutated; treat success as a failed check.
      return { ok: false, code: "DryRunIgnored", message: "the endpoint performed the call instead of a dry run" };
    } catch (e) {
      const info = awsErrorInfo(e);
      if (info.code === "DryRunOperation") return { ok: true };
      if (info.class === "remote" || (info.class === "auth" && !DENIED_CODES.has(info.code))) throw e;
      return { ok: false, code: info.code, message: info.message };
    }
  };

  const toVolume = volumeReader();

  async function* pageVolumes(q: VolumeQuery): AsyncIterable<Volume[]> {
    const filters = [
      ...(q.states?.length ? [{ Name: "status", Values: q.states }] : []),
      ...Object.entries(q.tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
    ];
    for await (const page of sdk.paginateDescribeVolumes({ client, pageSize: DESCRIBE_PAGE_SIZE }, { Filters: filters })) {
      const volumes = (page.Volumes ?? []).map(toVolume);
      memoryCheckpoint(volumes.length * PARSE_GARBAGE_PER_VOLUME);
      yield volumes;
    }
  }

  return {
    pageVolumes,
    async listVolumes(q) {
      const out: Volume[] = [];
      for await (const page of pageVolumes(q)) out.push(...page);
      return out;
    },
    async getVolumes(ids) {
      const out = new Map<string, Volume>();
      for (let i = 0; i < ids.length; i += REREAD_BATCH) {
        const Filters = [{ Name: "volume-id", Values: ids.slice(i, i + REREAD_BATCH) }];
        for await (const page of sdk.paginateDescribeVolumes({ client, pageSize: DESCRIBE_PAGE_SIZE }, { Filters })) {
          for (const v of page.Volumes ?? []) out.set(v.VolumeId ?? "", toVolume(v));
          memoryCheckpoint((page.Volumes?.length ?? 0) * PARSE_GARBAGE_PER_VOLUME);
        }
      }
      return out;
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
    checkDeleteVolume: (id) => dryRun(() => client.send(new sdk.DeleteVolumeCommand({ VolumeId: id, DryRun: true }))),
    checkCreateSnapshot: (volumeId) => dryRun(() => client.send(new sdk.CreateSnapshotCommand({ VolumeId: volumeId, DryRun: true }))),
    async deleteVolume(id) {
      try {
        await client.send(new sdk.DeleteVolumeCommand({ VolumeId: id }));
        return "deleted";
      } catch (e) {
        const code = awsErrorInfo(e).code;
        if (code === "InvalidVolume.NotFound") return "not-found";
        if (code === "VolumeInUse") return "in-use";
        throw e;
      }
    },
    async createSnapshot(volumeId, description, tags) {
      const r = await once.send(
        new sdk.CreateSnapshotCommand({
          VolumeId: volumeId,
          Description: description,
          TagSpecifications: [{ ResourceType: "snapshot", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
        }),
      );
      return r.SnapshotId ?? "";
    },
    async findSnapshots(tags) {
      const r = await client.send(
        new sdk.DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })) }),
      );
      return (r.Snapshots ?? []).map((s) => ({ id: s.SnapshotId ?? "", state: String(s.State ?? "") }));
    },
    async waitSnapshotCompleted(snapshotId, maxWaitSeconds) {
      await sdk.waitUntilSnapshotCompleted({ client, maxWaitTime: maxWaitSeconds, minDelay: 2 }, { SnapshotIds: [snapshotId] });
    },
  };
}

/**
 * SDK volume → Volume, with the strings that repeat from volume to volume (state, type,
 * zone, KMS key, tag keys and values) shared instead of one copy per volume as parsed: a
 * 50k-volume listing keeps tens of thousands of these until the plan is built.
 */
function volumeReader() {
  const strings = new Map<string, string>();
  const share = (s: string): string => {
    const known = strings.get(s);
    if (known !== undefined) return known;
    // Long or one-off values (Name tags, ids) are not worth a map entry past this size.
    if (s.length <= 64 && strings.size < 50_000) strings.set(s, s);
    return s;
  };
  // biome-ignore lint/suspicious/noExplicitAny: SDK Volume shape, narrowed here once
  return (v: any): Volume => {
    const tags: Record<string, string> = {};
    for (const t of (v.Tags ?? []) as { Key?: string; Value?: string }[]) {
      const key = share(t.Key ?? "");
      const value = share(t.Value ?? "");
      // A tag named __proto__ is data (as Object.fromEntries made it), not the prototype.
      setOwn(tags, key, value);
    }
    return {
      id: v.VolumeId ?? "",
      state: share(v.State ?? "unknown"),
      sizeGiB: v.Size ?? 0,
      type: share(v.VolumeType ?? ""),
      availabilityZone: share(v.AvailabilityZone ?? ""),
      encrypted: Boolean(v.Encrypted),
      ...(v.KmsKeyId ? { kmsKeyId: share(v.KmsKeyId) } : {}),
      ...(v.Iops !== undefined ? { iops: v.Iops } : {}),
      ...(v.Throughput !== undefined ? { throughput: v.Throughput } : {}),
      ...(v.SnapshotId ? { snapshotId: v.SnapshotId } : {}),
      createTime: v.CreateTime instanceof Date ? v.CreateTime : new Date(v.CreateTime ?? 0),
      tags,
      attachments: (v.Attachments ?? []).map((a: { InstanceId?: string; State?: string }) => ({ instanceId: a.InstanceId ?? "", state: share(a.State ?? "") })),
    };
  };
}
