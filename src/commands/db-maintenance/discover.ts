import type { Check } from "../../core/plan.ts";
import type { Filter, PgMaintenancePort, ServerInfo } from "../../providers/postgres/maintenance.ts";
import { pgErrorInfo } from "../../providers/postgres/target.ts";
import type { Selection, Task, Timeouts } from "./common.ts";
import { type ReindexCriteria, type ReplicaEvidence, selectReindex, selectUnusedIndexes } from "./select-indexes.ts";
import { selectIdleSessions } from "./select-sessions.ts";
import { type AnalyzeCriteria, selectAnalyze, selectVacuum } from "./select-tables.ts";

export interface TaskSettings {
  task: Task;
  filter: Filter;
  timeouts: Timeouts;
  analyze: AnalyzeCriteria;
  vacuum: { threshold: number; scaleFactor: number; freezeAgeRatio: number };
  reindex: ReindexCriteria;
  minObservedMs: number;
  minObservedText: string;
  idleForMs: number;
  idleForText: string;
  terminateSuperusers: boolean;
  now: Date;
  nearMisses: boolean;
}

/** A replica to ask: a label for messages (host:port/database) and how to connect. */
export interface ReplicaRef {
  label: string;
  connect: () => Promise<PgMaintenancePort>;
}

/** Reads the catalog and statistics for one task and selects its actions (read-only). */
export async function discover(pg: PgMaintenancePort, info: ServerInfo, s: TaskSettings, replicas: ReplicaRef[]): Promise<Selection & { checks: Check[] }> {
  const db = info.database;
  const checks: Check[] = [];
  if (info.inRecovery) {
    checks.push({
      name: "primary",
      status: "failed",
      detail: `${pg.target.host}:${pg.target.port}/${db} is a replica (in recovery): maintenance runs on the primary`,
    });
  }
  switch (s.task) {
    case "analyze":
      return { ...selectAnalyze(await pg.tables(s.filter), s.analyze, s.timeouts, db, s.nearMisses), checks };
    case "vacuum":
      return { ...selectVacuum(await pg.tables(s.filter), { ...s.vacuum, freezeMaxAge: info.freezeMaxAge }, s.timeouts, db, s.nearMisses), checks };
    case "reindex":
      return { ...selectReindex(await pg.indexes(s.filter), s.reindex, s.timeouts, db, s.nearMisses), checks };
    case "drop-unused-indexes": {
      const indexes = await pg.indexes(s.filter);
      const evidence = indexes.some((i) => i.scans === 0 && i.valid) ? await Promise.all(replicas.map((r) => replicaEvidence(r, s.filter))) : [];
      const usage = { minObservedMs: s.minObservedMs, minObservedText: s.minObservedText, now: s.now };
      return { ...selectUnusedIndexes(indexes, { observedSince: info.observedSince }, evidence, usage, s.timeouts, db, s.nearMisses), checks };
    }
    case "terminate-idle-transactions": {
      if (!info.superuser && !info.readAllStats) {
        checks.push({
          name: "visibility",
          status: "warning",
          detail: `${info.currentUser} sees only its own sessions' state: other roles' idle transactions are invisible without pg_read_all_stats (or pg_monitor)`,
        });
      }
      const idle = { idleForMs: s.idleForMs, idleForText: s.idleForText, terminateSuperusers: s.terminateSuperusers, ownPids: [info.backendPid] };
      return { ...selectIdleSessions(await pg.sessions(), idle, s.timeouts, db), checks };
    }
  }
}

async function replicaEvidence(r: ReplicaRef, filter: Filter): Promise<ReplicaEvidence> {
  let port: PgMaintenancePort | undefined;
  try {
    port = await r.connect();
    const info = await port.info();
    const indexes = await port.indexes(filter);
    return {
      target: r.label,
      reachable: true,
      inRecovery: info.inRecovery,
      observedSince: info.observedSince,
      indexes: new Map(indexes.map((i) => [`${i.schema}.${i.name}`, i])),
    };
  } catch (e) {
    return { target: r.label, reachable: false, error: pgErrorInfo(e).message };
  }
}
