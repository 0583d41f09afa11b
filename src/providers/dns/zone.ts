import { OpsError } from "../../core/errors.ts";
import { type RRset, sameRRset } from "./rdata.ts";

// A whole zone behind one small port: read every record set, re-read one, and apply a
// batch of changes all-or-nothing after checking that every "before" still holds.
// Both providers apply a batch atomically (Route 53 ChangeResourceRecordSets, one
// PowerDNS zone PATCH), which is why one zone can never be left half-changed.

export interface LiveRRset extends RRset {
  /** Why opsctl never changes this record set (alias, routing policy, disabled records), when it does not. */
  unmanaged?: string;
}

export interface ZoneChange {
  op: "create" | "update" | "delete";
  name: string;
  type: string;
  /** Exactly what the plan saw; absent for a create. */
  before?: RRset;
  /** Absent for a delete. */
  after?: RRset;
}

export interface ProviderCall {
  service: string;
  operation: string;
  parameters: Record<string, unknown>;
}

export interface ZonePort {
  readonly provider: "route53" | "powerdns";
  /** Absolute zone name with the trailing dot. */
  readonly zone: string;
  /** Every record set in the zone (paginated where the API pages); exit 3 when the zone does not exist. */
  readZone(): Promise<LiveRRset[]>;
  /** One record set, re-read live (undefined when absent). */
  readRRset(name: string, type: string): Promise<LiveRRset | undefined>;
  /** The exact request one change contributes to the batch, for the plan. */
  call(change: ZoneChange): ProviderCall;
  /**
   * Applies every change in one atomic request. A before value that no longer holds
   * refuses the whole batch (OpsError "validation", nothing changed).
   */
  apply(changes: ZoneChange[], comment: string): Promise<{ detail: string }>;
}

/**
 * Refuses a batch whose before values no longer hold (a create whose set appeared, an
 * update or delete whose set moved), before anything is sent: the whole batch or nothing.
 */
export function refuseMoved(changes: ZoneChange[], now: (c: ZoneChange) => RRset | undefined): void {
  const show = (s: RRset | undefined) => (s ? `${s.ttl} ${s.values.join(", ")}` : "absent");
  const moved = changes.filter((c) => !sameRRset(now(c), c.before));
  if (moved.length)
    throw new OpsError(
      "validation",
      moved.map((c) => ({ message: `${c.name} ${c.type} changed since the plan (${show(c.before)} → ${show(now(c))}): nothing was changed` })),
    );
}
