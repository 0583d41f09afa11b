import type { Action, Skipped } from "../../core/plan.ts";
import type { TableRow } from "../../providers/postgres/maintenance.ts";
import { percent, type Selection, sqlCall, type Timeouts, tableName, tableResource } from "./common.ts";

export interface AnalyzeCriteria {
  /** Like autovacuum_analyze_threshold / _scale_factor: stale when modifications exceed threshold + factor × rows. */
  threshold: number;
  scaleFactor: number;
}

export interface VacuumCriteria {
  /** Like autovacuum_vacuum_threshold / _scale_factor, over dead tuples. */
  threshold: number;
  scaleFactor: number;
  /** Vacuum (FREEZE) when age(relfrozenxid) exceeds this share of autovacuum_freeze_max_age. */
  freezeAgeRatio: number;
  freezeMaxAge: number;
}

const rowsOf = (t: TableRow) => (t.reltuples >= 0 ? t.reltuples : t.liveTuples);
const latest = (...ts: (string | null)[]) =>
  ts
    .filter((x): x is string => x !== null)
    .sort()
    .at(-1) ?? null;

/** When statistics were last gathered (manual or automatic): what an apply re-reads to see drift. */
export const analyzedAt = (t: TableRow) => latest(t.lastAnalyze, t.lastAutoanalyze);
export const vacuumedAt = (t: TableRow) => latest(t.lastVacuum, t.lastAutovacuum);

/** Tables whose planner statistics are stale: never analyzed, or modified beyond the threshold since. */
export function selectAnalyze(tables: TableRow[], c: AnalyzeCriteria, t: Timeouts, database: string, nearMisses: boolean): Selection {
  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  for (const tbl of tables) {
    const resource = tableResource(tbl, database);
    const limit = Math.round(c.threshold + c.scaleFactor * rowsOf(tbl));
    const last = analyzedAt(tbl);
    const never = last === null && tbl.liveTuples + tbl.modsSinceAnalyze > 0;
    if (!never && tbl.modsSinceAnalyze <= limit) {
      if (nearMisses) {
        const why = last === null ? "empty and never analyzed" : `${tbl.modsSinceAnalyze} modification(s) since ${last}, threshold ${limit}`;
        skipped.push({ resource, reason: `statistics current: ${why}`, category: "not-eligible" });
      }
      continue;
    }
    const statement = `ANALYZE ${tableName(tbl)}`;
    actions.push({
      id: `analyze:${resource.id}`,
      resource,
      operation: "analyze" as Action["operation"],
      reason: {
        summary: never
          ? `never analyzed; ${tbl.liveTuples} live rows`
          : `${tbl.modsSinceAnalyze} rows modified since the last analyze (${last}) > threshold ${limit} (${c.threshold} + ${c.scaleFactor} × ${Math.round(rowsOf(tbl))} rows)`,
        evidence: {
          source: "pg_stat_user_tables",
          modsSinceAnalyze: tbl.modsSinceAnalyze,
          liveTuples: tbl.liveTuples,
          threshold: limit,
          lastAnalyze: tbl.lastAnalyze,
          lastAutoanalyze: tbl.lastAutoanalyze,
        },
      },
      call: sqlCall("ANALYZE", statement, t, tbl.oid, false),
      checks: [],
      preconditions: [
        { description: "same table (not dropped and re-created)", attribute: "oid", expected: tbl.oid, test: "equals" },
        { description: "not analyzed since the plan", attribute: "analyzedAt", expected: last, test: "equals" },
      ],
    });
  }
  return { actions, skipped };
}

/** Tables with dead tuples beyond the threshold, or whose relfrozenxid age nears autovacuum_freeze_max_age. */
export function selectVacuum(tables: TableRow[], c: VacuumCriteria, t: Timeouts, database: string, nearMisses: boolean): Selection {
  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  const freezeLimit = Math.round(c.freezeAgeRatio * c.freezeMaxAge);
  for (const tbl of tables) {
    const resource = tableResource(tbl, database);
    const limit = Math.round(c.threshold + c.scaleFactor * rowsOf(tbl));
    const dead = tbl.deadTuples > limit;
    const freeze = tbl.frozenXidAge > freezeLimit;
    if (!dead && !freeze) {
      if (nearMisses) {
        skipped.push({
          resource,
          reason: `${tbl.deadTuples} dead tuple(s) ≤ threshold ${limit}; relfrozenxid age ${tbl.frozenXidAge} ≤ ${freezeLimit}`,
          category: "not-eligible",
        });
      }
      continue;
    }
    const ratio = tbl.liveTuples + tbl.deadTuples > 0 ? tbl.deadTuples / (tbl.liveTuples + tbl.deadTuples) : 0;
    const reasons = [
      ...(dead
        ? [
            `${tbl.deadTuples} dead tuples (${percent(ratio)} of rows) > threshold ${limit} (${c.threshold} + ${c.scaleFactor} × ${Math.round(rowsOf(tbl))} rows)`,
          ]
        : []),
      ...(freeze ? [`relfrozenxid age ${tbl.frozenXidAge} > ${freezeLimit} (${c.freezeAgeRatio} × autovacuum_freeze_max_age ${c.freezeMaxAge})`] : []),
    ];
    // FREEZE when wraparound is the reason: every page gets frozen, not only the ones vacuum would visit.
    const statement = `VACUUM ${freeze ? "(FREEZE) " : ""}${tableName(tbl)}`;
    actions.push({
      id: `vacuum:${resource.id}`,
      resource,
      operation: "vacuum" as Action["operation"],
      reason: {
        summary: reasons.join("; "),
        evidence: {
          source: "pg_stat_user_tables, pg_class.relfrozenxid",
          deadTuples: tbl.deadTuples,
          liveTuples: tbl.liveTuples,
          deadRatio: percent(ratio),
          threshold: limit,
          frozenXidAge: tbl.frozenXidAge,
          freezeLimit,
          lastVacuum: tbl.lastVacuum,
          lastAutovacuum: tbl.lastAutovacuum,
        },
      },
      call: sqlCall("VACUUM", statement, t, tbl.oid, false),
      checks: [],
      preconditions: [
        { description: "same table (not dropped and re-created)", attribute: "oid", expected: tbl.oid, test: "equals" },
        { description: "not vacuumed since the plan", attribute: "vacuumedAt", expected: vacuumedAt(tbl), test: "equals" },
      ],
    });
  }
  return { actions, skipped };
}
