import { DescribeSnapshotsCommand, DescribeVolumesCommand } from "@aws-sdk/client-ec2";
import type { Moto } from "./moto.ts";

/** Everything a run could change in moto that opsctl touches: volumes (with state and tags) and snapshots. */
export async function cloudState(moto: Moto): Promise<string> {
  const v = await moto.ec2.send(new DescribeVolumesCommand({}));
  const s = await moto.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
  const vols = (v.Volumes ?? [])
    .map(
      (x) =>
        `${x.VolumeId} ${x.State} ${(x.Tags ?? [])
          .map((t) => `${t.Key}=${t.Value}`)
          .sort()
          .join(",")}`,
    )
    .sort();
  const snaps = (s.Snapshots ?? []).map((x) => `${x.SnapshotId} ${x.VolumeId}`).sort();
  return [...vols, ...snaps].join("\n");
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}
