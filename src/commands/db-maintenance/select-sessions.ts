import type { Action, Check, Skipped } from "../../core/plan.ts";
import type { SessionRow } from "../../providers/postgres/maintenance.ts";
import { formatSpan, type Selection, sessionResource, sqlCall, type Timeouts } from "./common.ts";

export interface IdleCriteria {
  idleForMs: number;
  idleForText: string;
  terminateSuperusers: boolean;
  /** This run's own sessions: never terminated. */
  ownPids: number[];
}

/**
 * Sessions idle in a transaction for longer than --idle-for: each holds its locks and
 * its snapshot (blocking DDL, vacuum's cleanup horizon) while doing nothing. Never this
 * run's own sessions, never superusers unless dbMaintenance.terminateSuperusers.
 */
export function selectIdleSessions(sessions: SessionRow[], c: IdleCriteria, t: Timeouts, database: string): Selection {
  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  for (const s of sessions) {
    if (s.state !== "idle in transaction" && s.state !== "idle in transaction (aborted)") continue;
    const resource = sessionResource(s, database);
    const idleMs = Math.round(s.idleSeconds * 1000);
    if (c.ownPids.includes(s.pid)) {
      skipped.push({ resource, reason: "this opsctl run's own session", category: "protected" });
      continue;
    }
    if (idleMs < c.idleForMs) {
      skipped.push({ resource, reason: `${s.state} for ${formatSpan(idleMs)}, less than --idle-for ${c.idleForText}`, category: "not-eligible" });
      continue;
    }
    if (s.superuser && !c.terminateSuperusers) {
      skipped.push({ resource, reason: `superuser session (${s.user}): allowed only with dbMaintenance.terminateSuperusers`, category: "protected" });
      continue;
    }
    const checks: Check[] = [];
    const statement = `SELECT pg_terminate_backend(${s.pid})`;
    actions.push({
      id: `terminate:${resource.id}`,
      resource,
      operation: "terminate" as Action["operation"],
      reason: {
        summary: `${s.state} for ${formatSpan(idleMs)} (≥ ${c.idleForText}); user ${s.user ?? "?"}, application ${s.application || "-"}, last statement ${s.lastCommand || "?"}`,
        evidence: {
          source: "pg_stat_activity",
          pid: s.pid,
          user: s.user,
          superuser: s.superuser,
          application: s.application,
          client: s.client,
          state: s.state,
          idleFor: formatSpan(idleMs),
          backendStart: s.backendStart,
          xactStart: s.xactStart,
          stateChange: s.stateChange,
          lastCommand: s.lastCommand,
        },
      },
      call: sqlCall("pg_terminate_backend", statement, t, null, false),
      checks,
      // The pid alone is not the session: a new backend can reuse it.
      preconditions: [
        { description: "same backend (pid reused by a new session otherwise)", attribute: "backendStart", expected: s.backendStart, test: "equals" },
        { description: "same transaction, still open", attribute: "xactStart", expected: s.xactStart, test: "equals" },
        { description: "still idle in that transaction", attribute: "idleInTransaction", expected: true, test: "equals" },
      ],
    });
  }
  return { actions, skipped };
}
