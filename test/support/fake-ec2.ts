import type { DryRunVerdict, Ec2Port, Volume } from "../../src/providers/aws/ec2.ts";

/**
 * An in-memory FAKE of the EC2 port, for golden files and executor unit tests only.
 * Everything that talks to EC2 for real is tested end to end against moto server.
 */
export class FakeEc2 implements Ec2Port {
  volumes = new Map<string, Volume>();
  deleted: string[] = [];
  snapshots: { id: string; volumeId: string; tags: Record<string, string>; state: string }[] = [];
  failDelete = new Map<string, Error>();
  deny = new Set<string>();
  /** Volume ids of every DryRun, and id batches of every batched read, in order. */
  dryRuns: string[] = [];
  reads: string[][] = [];
  /** Called before each delete: lets a test interrupt mid-apply. */
  beforeDelete?: (id: string) => Promise<void> | void;

  constructor(volumes: Volume[] = []) {
    for (const v of volumes) this.volumes.set(v.id, v);
  }

  async listVolumes(q: { states?: string[]; tags?: Record<string, string> }) {
    return [...this.volumes.values()].filter(
      (v) => (!q.states?.length || q.states.includes(v.state)) && Object.entries(q.tags ?? {}).every(([k, val]) => v.tags[k] === val),
    );
  }
  async *pageVolumes(q: { states?: string[]; tags?: Record<string, string> }) {
    const all = await this.listVolumes(q);
    for (let i = 0; i < all.length; i += 500) yield all.slice(i, i + 500);
  }
  async getVolume(id: string) {
    return this.volumes.get(id);
  }
  async getVolumes(ids: string[]) {
    this.reads.push(ids);
    return new Map(ids.flatMap((id) => (this.volumes.has(id) ? [[id, this.volumes.get(id) as Volume] as const] : [])));
  }
  async checkDeleteVolume(id: string): Promise<DryRunVerdict> {
    this.dryRuns.push(id);
    if (this.deny.has(id)) return { ok: false, code: "UnauthorizedOperation", message: "You are not authorized to perform this operation." };
    return this.volumes.has(id) ? { ok: true } : { ok: false, code: "InvalidVolume.NotFound", message: `The volume '${id}' does not exist.` };
  }
  async checkCreateSnapshot(id: string): Promise<DryRunVerdict> {
    return this.checkDeleteVolume(id);
  }
  async deleteVolume(id: string) {
    await this.beforeDelete?.(id);
    const err = this.failDelete.get(id);
    if (err) throw err;
    if (!this.volumes.delete(id)) return "not-found" as const;
    this.deleted.push(id);
    return "deleted" as const;
  }
  async createSnapshot(volumeId: string, _d: string, tags: Record<string, string>) {
    const id = `snap-${String(this.snapshots.length + 1).padStart(8, "0")}`;
    this.snapshots.push({ id, volumeId, tags, state: "completed" });
    return id;
  }
  async findSnapshots(tags: Record<string, string>) {
    return this.snapshots.filter((s) => Object.entries(tags).every(([k, v]) => s.tags[k] === v)).map((s) => ({ id: s.id, state: s.state }));
  }
  async waitSnapshotCompleted() {}
}

export function volume(id: string, p: Partial<Volume> & { ageDays?: number; now?: Date } = {}): Volume {
  const now = p.now ?? new Date("2026-11-28T12:00:00.000Z");
  return {
    id,
    state: p.state ?? "available",
    sizeGiB: p.sizeGiB ?? 8,
    type: p.type ?? "gp3",
    availabilityZone: p.availabilityZone ?? "us-east-1a",
    encrypted: p.encrypted ?? false,
    ...(p.kmsKeyId ? { kmsKeyId: p.kmsKeyId } : {}),
    createTime: p.createTime ?? new Date(now.getTime() - (p.ageDays ?? 90) * 86_400_000),
    tags: p.tags ?? { Environment: "staging" },
    attachments: p.attachments ?? [],
  };
}
