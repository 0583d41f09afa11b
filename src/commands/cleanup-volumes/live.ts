import type { Action } from "../../core/plan.ts";
import { type Ec2Port, REREAD_BATCH, type Volume } from "../../providers/aws/ec2.ts";

/** A batched read older than this is not "live" any more: that action is read again. */
export const LIVE_MAX_AGE_MS = 60_000;

/**
 * Live re-reads for the executor's precondition check, batched: the first action that
 * asks reads itself and the next actions of the plan (REREAD_BATCH ids in one
 * DescribeVolumes), in the order the executor takes them, so N deletions cost about
 * N / REREAD_BATCH reads instead of N. Each answer is used once (a second read of the same
 * action, e.g. the saved-plan re-check and then the executor, reads again) and only
 * while fresh (LIVE_MAX_AGE_MS); the delete itself still fails server-side if the volume
 * was attached in between (VolumeInUse).
 */
export class LiveReader {
  private readonly fetched = new Map<string, { volume: Volume | undefined; at: number }>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly position = new Map<string, number>();

  constructor(
    private readonly ec2: Ec2Port,
    private readonly order: readonly Action[],
    private readonly now: () => number = () => Date.now(),
  ) {
    for (const [i, a] of order.entries()) this.position.set(a.resource.id, i);
  }

  async get(id: string): Promise<Volume | undefined> {
    for (let tries = 0; tries < 3; tries++) {
      const hit = this.fetched.get(id);
      if (hit && this.now() - hit.at <= LIVE_MAX_AGE_MS) {
        this.fetched.delete(id);
        return hit.volume;
      }
      await (this.pending.get(id) ?? this.fetch(id));
    }
    // Read three times and never fresh (a clock jump): read this one alone.
    return this.ec2.getVolume(id);
  }

  private fetch(id: string): Promise<void> {
    const from = this.position.get(id) ?? -1;
    const batch = [id];
    if (from >= 0) {
      for (let i = from + 1; i < this.order.length && batch.length < REREAD_BATCH; i++) {
        const next = (this.order[i] as Action).resource.id;
        const known = this.fetched.get(next);
        // Stale answers count as unread: the new batch reads them again.
        if ((!known || this.now() - known.at > LIVE_MAX_AGE_MS) && !this.pending.has(next)) batch.push(next);
      }
    }
    const run = (async () => {
      const at = this.now();
      const found = await this.ec2.getVolumes(batch);
      for (const b of batch) this.fetched.set(b, { volume: found.get(b), at });
    })();
    const done = run.finally(() => {
      for (const b of batch) this.pending.delete(b);
    });
    for (const b of batch) this.pending.set(b, done);
    return done;
  }
}
