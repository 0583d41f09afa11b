import type { Action } from "../../core/plan.ts";
import type { LiveState } from "../../core/preconditions.ts";
import type { PgMaintenancePort } from "../../providers/postgres/maintenance.ts";
import { analyzedAt, vacuumedAt } from "./select-tables.ts";

/**
 * The live attributes an action's preconditions name, re-read just before it runs
 * (by oid or pid, never by name alone); undefined when the object is gone.
 * Replicas are asked again for an index about to be dropped: a query on a replica
 * since the plan keeps it.
 */
export async function liveState(pg: PgMaintenancePort, a: Action, replicas: () => Promise<PgMaintenancePort[]>): Promise<LiveState | undefined> {
  const attrs = a.resource.attributes;
  if (a.resource.type === "postgres.session") {
    const [s] = await pg.sessions(Number(attrs.pid));
    if (!s) return undefined;
    return { backendStart: s.backendStart, xactStart: s.xactStart, idleInTransaction: (s.state ?? "").startsWith("idle in transaction") };
  }
  if (a.resource.type === "postgres.table") {
    const [t] = await pg.tables({}, Number(attrs.oid));
    return t ? { oid: t.oid, analyzedAt: analyzedAt(t), vacuumedAt: vacuumedAt(t) } : undefined;
  }
  const [ix] = await pg.indexes({}, Number(attrs.oid));
  if (!ix) return undefined;
  const state: LiveState = { oid: ix.oid, valid: ix.valid, scans: ix.scans };
  if (a.preconditions.some((p) => p.attribute === "replicaScans")) {
    let total = 0;
    for (const r of await replicas()) total += (await r.indexByName(String(attrs.schema), String(a.resource.name)))?.scans ?? 0;
    state.replicaScans = total;
  }
  return state;
}
