import { writeFileSync } from "node:fs";
import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { type Peers, peers } from "./peers.ts";

export const TEST_CREDS = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1" };

export interface Seed {
  name?: string;
  ageDays?: number;
  tags?: Record<string, string>;
  attached?: boolean;
}

/**
 * Drives the real moto server: reset, and seeding volumes with an old CreateTime by
 * moving moto's clock (it runs under libfaketime reading MOTO_CLOCK_FILE).
 */
export class Moto {
  readonly p: Peers = peers();
  readonly url = this.p.MOTO_URL;
  readonly ec2 = new EC2Client({ endpoint: this.url, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });

  async reset(): Promise<void> {
    const r = await fetch(`${this.url}/moto-api/reset`, { method: "POST" });
    if (!r.ok) throw new Error(`moto reset failed: ${r.status}`);
  }

  async volume(s: Seed): Promise<string> {
    const tags = { ...(s.tags ?? {}), ...(s.name ? { Name: s.name } : {}) };
    writeFileSync(this.p.MOTO_CLOCK_FILE, `-${s.ageDays ?? 0}d\n`);
    try {
      const r = await this.ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: "us-east-1a",
          Size: 8,
          VolumeType: "gp3",
          ...(Object.keys(tags).length
            ? { TagSpecifications: [{ ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }
            : {}),
        }),
      );
      const id = r.VolumeId as string;
      if (s.attached) await this.attach(id);
      return id;
    } finally {
      writeFileSync(this.p.MOTO_CLOCK_FILE, "+0\n");
    }
  }

  async attach(volumeId: string): Promise<void> {
    const inst = await this.ec2.send(
      new RunInstancesCommand({ ImageId: "ami-12c6146b", MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: "us-east-1a" } }),
    );
    await this.ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: inst.Instances?.[0]?.InstanceId as string, Device: "/dev/sdf" }));
  }

  async volumeIds(): Promise<string[]> {
    const r = await this.ec2.send(new DescribeVolumesCommand({}));
    return (r.Volumes ?? []).map((v) => v.VolumeId as string).sort();
  }

  async snapshots(): Promise<{ id: string; volumeId: string; tags: Record<string, string> }[]> {
    const r = await this.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
    return (r.Snapshots ?? []).map((s) => ({
      id: s.SnapshotId as string,
      volumeId: s.VolumeId as string,
      tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key, t.Value])),
    }));
  }
}
