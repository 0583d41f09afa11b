import type { Action, Skipped } from "../../core/plan.ts";
import type { Ec2Port, Volume, VolumeQuery } from "../../providers/aws/ec2.ts";
import { type Criteria, selectVolumes } from "./select.ts";

/**
 * Discovery page by page: each DescribeVolumes page (MaxResults) is reduced to compact
 * Volume records (its SDK objects are garbage from then on) and actions are built once the
 * listing is done. Built during the listing, tens of thousands of long-lived actions ended
 * up scattered among the pages' garbage, and a collector that does not move objects cannot
 * give those half-used blocks back (src/core/memory.ts): a 50k-volume dry run peaked at
 * several times its live plan. Each page's garbage is reported to core/memory.ts by the
 * provider (src/providers/aws/ec2.ts). Near-miss mode (--verbose) lists twice — the environment's
 * volumes and every available one — to explain what was left out; a volume in both is taken once.
 */
export async function discoverVolumes(ec2: Ec2Port, c: Criteria, nearMisses: boolean): Promise<{ actions: Action[]; skipped: Skipped[]; discovered: number }> {
  const queries: VolumeQuery[] = nearMisses
    ? [{ tags: { [c.environmentTag]: c.environment } }, { states: ["available"] }]
    : [{ states: ["available"], tags: Object.fromEntries([[c.environmentTag, c.environment], ...c.include]) }];
  const volumes: Volume[] = [];
  const seen = new Set<string>();
  for (const q of queries) {
    for await (const page of ec2.pageVolumes(q)) {
      for (const v of page) {
        if (seen.has(v.id)) continue;
        seen.add(v.id);
        volumes.push(v);
      }
    }
  }
  const r = selectVolumes(volumes, c, nearMisses);
  const byId = (a: { resource: { id: string } }, b: { resource: { id: string } }) =>
    a.resource.id < b.resource.id ? -1 : a.resource.id > b.resource.id ? 1 : 0;
  r.actions.sort(byId);
  r.skipped.sort(byId);
  return { actions: r.actions, skipped: r.skipped, discovered: seen.size };
}
