import type { ApplyOutcome } from "../../core/command.ts";
import { parseDuration } from "../../core/duration.ts";
import type { Action } from "../../core/plan.ts";
import type { PgMaintenancePort, RetryPolicy } from "../../providers/postgres/maintenance.ts";

export interface ApplyOptions {
  retry: RetryPolicy;
  signal: AbortSignal;
  log: (message: string) => void;
}

/** The timeouts recorded in the plan, so a saved plan runs exactly as it was reviewed. */
export function planTimeouts(a: Action): { lockTimeoutMs: number; statementTimeoutMs: number } {
  const p = a.call.parameters;
  return {
    lockTimeoutMs: parseDuration(String(p.lockTimeout)) ?? 2000,
    statementTimeoutMs: parseDuration(String(p.statementTimeout)) ?? 1_800_000,
  };
}

/**
 * Runs the statement the plan recorded, under the plan's lock_timeout and
 * statement_timeout, with bounded retries on lock timeouts (see run-statement.ts).
 */
export async function applyAction(pg: PgMaintenancePort, a: Action, o: ApplyOptions): Promise<ApplyOutcome> {
  const t = planTimeouts(a);
  const p = a.call.parameters;
  if ((a.operation as string) === "terminate") {
    const attrs = a.resource.attributes;
    const r = await pg.terminate({ pid: Number(attrs.pid), backendStart: String(attrs.backendStart), xactStart: String(attrs.xactStart) }, t);
    return r === "terminated"
      ? { status: "applied", detail: `session ${attrs.pid} terminated` }
      : { status: "already-done", detail: "the session ended or left that transaction before it was terminated" };
  }
  const outcome = await pg.run(
    { sql: String(p.statement), tableOid: Number(p.tableOid), concurrently: p.concurrently === true },
    { ...t, retry: o.retry, signal: o.signal, log: o.log },
  );
  return { status: "applied", ...(outcome.attempts > 1 ? { detail: `after ${outcome.attempts} attempts (lock timeouts)` } : {}) };
}
