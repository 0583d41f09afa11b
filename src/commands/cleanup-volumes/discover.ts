import type { Action, Skipped } from "../../core/plan.ts";
import type { Ec2Port, VolumeQuery } from "../../providers/aws/ec2.ts";
import { type Criteria, selectVolumes } from "./select.ts";

/**
 * Discovery page by page: each DescribeVolumes page (MaxResults) is selected and dropped,
 * so only the compact actions and skips stay in memory, never every volume at once.
 * Near-miss mode (--verbose) lists twice — the environment's volumes and every
 * available one — to explain what was left out; a volume in both is taken once.
 */
export async function discoverVolumes(ec2: Ec2Port, c: Criteria, nearMisses: boolean): Promise<{ actions: Action[]; skipped: Skipped[]; discovered: number }> {
  const queries: VolumeQuery[] = nearMisses
    ? [{ tags: { [c.environmentTag]: c.environment } }, { states: ["available"] }]
    : [{ states: ["available"], tags: Object.fromEntries([[c.environmentTag, c.environment], ...c.include]) }];
  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  const seen = new Set<string>();
  for (const q of queries) {
    for await (const page of ec2.pageVolumes(q)) {
      const fresh = page.filter((v) => !seen.has(v.id));
      for (const v of fresh) seen.add(v.id);
      const r = selectVolumes(fresh, c, nearMisses);
      for (const a of r.actions) actions.push(a);
      for (const s of r.skipped) skipped.push(s);
    }
  }
  const byId = (a: { resource: { id: string } }, b: { resource: { id: string } }) =>
    a.resource.id < b.resource.id ? -1 : a.resource.id > b.resource.id ? 1 : 0;
  actions.sort(byId);
  skipped.sort(byId);
  return { actions, skipped, discovered: seen.size };
}
