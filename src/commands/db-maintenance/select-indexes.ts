import type { Action, Check, Skipped } from "../../core/plan.ts";
import type { IndexRow } from "../../providers/postgres/maintenance.ts";
import { qualified } from "../../providers/postgres/target.ts";
import { estimateBtreeBloat } from "./bloat.ts";
import { formatBytes, indexResource, percent, type Selection, sqlCall, type Timeouts } from "./common.ts";

export interface ReindexCriteria {
  bloatRatio: number;
  minSizeBytes: number;
  minSizeText: string;
}

/** `<index>_ccnew`, `<index>_ccold` (and numbered variants): what a failed REINDEX CONCURRENTLY leaves behind. */
const LEFTOVER = /^(.+)_cc(new|old)\d*$/;

export function isReindexLeftover(ix: IndexRow, all: IndexRow[]): string | undefined {
  const m = LEFTOVER.exec(ix.name);
  if (ix.valid || !m) return undefined;
  const base = all.find((o) => o.tableOid === ix.tableOid && o.name === m[1] && o.oid !== ix.oid);
  return base ? base.name : undefined;
}

/**
 * Leftovers of a failed REINDEX CONCURRENTLY are dropped first (same table, one at a
 * time); other invalid indexes and bloated B-trees are rebuilt with REINDEX INDEX
 * CONCURRENTLY, which never blocks reads or writes for longer than its brief swaps.
 */
export function selectReindex(indexes: IndexRow[], c: ReindexCriteria, t: Timeouts, database: string, nearMisses: boolean): Selection {
  const cleanups: Action[] = [];
  const rebuilds: Action[] = [];
  const skipped: Skipped[] = [];
  for (const ix of indexes) {
    const resource = indexResource(ix, database);
    const name = qualified(ix.schema, ix.name);
    const base = isReindexLeftover(ix, indexes);
    if (base) {
      const statement = `DROP INDEX CONCURRENTLY IF EXISTS ${name}`;
      cleanups.push({
        id: `delete:${resource.id}`,
        resource,
        operation: "delete",
        reason: {
          summary: `invalid leftover of a failed REINDEX CONCURRENTLY of ${ix.schema}.${base}: dropped before any rebuild`,
          evidence: { source: "pg_index.indisvalid", valid: false, leftoverOf: `${ix.schema}.${base}`, sizeBytes: ix.sizeBytes },
        },
        call: sqlCall("DROP INDEX CONCURRENTLY", statement, t, ix.tableOid, true),
        checks: [],
        preconditions: [
          { description: "same index", attribute: "oid", expected: ix.oid, test: "equals" },
          { description: "still invalid", attribute: "valid", expected: false, test: "equals" },
        ],
      });
      continue;
    }
    const statement = `REINDEX INDEX CONCURRENTLY ${name}`;
    const rebuild = (summary: string, evidence: Action["reason"]["evidence"]) =>
      rebuilds.push({
        id: `reindex:${resource.id}`,
        resource,
        operation: "reindex" as Action["operation"],
        reason: { summary, evidence },
        call: sqlCall("REINDEX INDEX CONCURRENTLY", statement, t, ix.tableOid, true),
        checks: [],
        preconditions: [
          { description: "same index", attribute: "oid", expected: ix.oid, test: "equals" },
          { description: ix.valid ? "still valid" : "still invalid", attribute: "valid", expected: ix.valid, test: "equals" },
        ],
      });
    if (!ix.valid) {
      rebuild("invalid (left by a failed CREATE INDEX CONCURRENTLY): not used by queries, still maintained on every write", {
        source: "pg_index.indisvalid",
        valid: false,
        definition: ix.definition,
      });
      continue;
    }
    const est = estimateBtreeBloat(ix);
    if (!est.known) {
      if (nearMisses) skipped.push({ resource, reason: est.reason, category: "not-eligible" });
      continue;
    }
    if (ix.sizeBytes < c.minSizeBytes || est.ratio < c.bloatRatio) {
      if (nearMisses) {
        skipped.push({
          resource,
          reason: `${formatBytes(ix.sizeBytes)}, estimated bloat ${percent(est.ratio)} (threshold ${percent(c.bloatRatio)} of at least ${c.minSizeText})`,
          category: "not-eligible",
        });
      }
      continue;
    }
    rebuild(`estimated bloat ${percent(est.ratio)} (${formatBytes(est.bytes)} of ${formatBytes(ix.sizeBytes)}) ≥ ${percent(c.bloatRatio)}`, {
      source: "pg_class.reltuples, pg_stats.avg_width, pg_relation_size (statistical B-tree estimate, docs/commands/db-maintenance.md)",
      sizeBytes: ix.sizeBytes,
      actualPages: est.actualPages,
      estimatedPages: est.expectedPages,
      bloatRatio: percent(est.ratio),
      bloatBytes: est.bytes,
      entries: ix.tuples,
      entryBytes: est.tupleBytes,
    });
  }
  return { actions: [...cleanups, ...rebuilds], skipped };
}

export interface UsageCriteria {
  minObservedMs: number;
  minObservedText: string;
  now: Date;
}

/** One replica's evidence: its counters for every index by schema.name, or why there is none. */
export type ReplicaEvidence =
  | { target: string; reachable: true; observedSince: string; inRecovery: boolean; indexes: Map<string, IndexRow> }
  | { target: string; reachable: false; error: string };

export interface Observation {
  observedSince: string;
}

/**
 * Indexes no query used (idx_scan = 0) over a long enough window, on the primary and on
 * every replica, that enforce nothing. Constraint-backing and unique indexes are never
 * planned; a replica that cannot be asked (or is not a replica) makes a failed check:
 * no evidence, no drop.
 */
export function selectUnusedIndexes(
  indexes: IndexRow[],
  primary: Observation,
  replicas: ReplicaEvidence[],
  c: UsageCriteria,
  t: Timeouts,
  database: string,
  nearMisses: boolean,
): Selection {
  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  for (const ix of indexes) {
    const resource = indexResource(ix, database);
    const key = `${ix.schema}.${ix.name}`;
    const skip = (category: Skipped["category"], reason: string) => skipped.push({ resource, reason, category });
    if (ix.constraints.length) {
      skip("protected", `backs constraint ${ix.constraints.join(", ")}`);
      continue;
    }
    if (ix.unique) {
      skip("protected", "unique index: it enforces uniqueness even without a constraint");
      continue;
    }
    if (!ix.valid) {
      skip("not-eligible", "invalid: the reindex task rebuilds or cleans it up");
      continue;
    }
    if (ix.scans > 0) {
      if (nearMisses) skip("not-eligible", `used: ${ix.scans} scan(s) since ${primary.observedSince}`);
      continue;
    }
    const since = [primary.observedSince, ix.createdAt]
      .filter((x): x is string => !!x)
      .sort()
      .at(-1) as string;
    const window = c.now.getTime() - Date.parse(since);
    if (window < c.minObservedMs) {
      skip("not-eligible", `unused, but the counters only run since ${since} (${days(window)}), less than --min-observed ${c.minObservedText}`);
      continue;
    }
    const checks: Check[] = [];
    const replicaNotes: string[] = [];
    let usedOn: string | undefined;
    for (const r of replicas) {
      if (!r.reachable) {
        checks.push({ name: `replica ${r.target}`, status: "failed", detail: `unreachable (${r.error}): no evidence, no drop` });
        continue;
      }
      if (!r.inRecovery) {
        checks.push({
          name: `replica ${r.target}`,
          status: "failed",
          detail: "not a replica (pg_is_in_recovery() is false): its counters say nothing about this primary",
        });
        continue;
      }
      const rix = r.indexes.get(key);
      if (!rix) {
        checks.push({ name: `replica ${r.target}`, status: "failed", detail: `${key} not found there (replication lagging?): no evidence, no drop` });
        continue;
      }
      if (rix.scans > 0) {
        usedOn = `used on replica ${r.target}: ${rix.scans} scan(s) since ${r.observedSince}`;
        break;
      }
      const rWindow = c.now.getTime() - Date.parse(r.observedSince);
      if (rWindow < c.minObservedMs) {
        usedOn = `unused on replica ${r.target}, but its counters only run since ${r.observedSince} (${days(rWindow)}), less than --min-observed ${c.minObservedText}`;
        break;
      }
      replicaNotes.push(`${r.target}: 0 scans since ${r.observedSince}`);
      checks.push({ name: `replica ${r.target}`, status: "passed", detail: `0 scans since ${r.observedSince}` });
    }
    if (usedOn) {
      skip("not-eligible", usedOn);
      continue;
    }
    if (!ix.createdAt) {
      checks.push({
        name: "index age",
        status: "warning",
        detail:
          "PostgreSQL does not record when an index was created (track_commit_timestamp is off): an index created after the counters started was observed for less time",
      });
    }
    const unchecked = checks.filter((k) => k.status === "failed").length;
    const statement = `DROP INDEX CONCURRENTLY ${qualified(ix.schema, ix.name)}`;
    actions.push({
      id: `delete:${resource.id}`,
      resource,
      operation: "delete",
      reason: {
        summary: `idx_scan = 0 since ${since} (${days(window)} ≥ ${c.minObservedText}) on the primary${replicaNotes.length ? ` and ${replicaNotes.length} replica(s)` : ""}${unchecked ? `; ${unchecked} replica(s) could not be checked` : ""}; ${formatBytes(ix.sizeBytes)}; backs no constraint`,
        evidence: {
          source: "pg_stat_user_indexes, pg_stat_database.stats_reset",
          idxScan: 0,
          statsSince: since,
          observedFor: days(window),
          minObserved: c.minObservedText,
          sizeBytes: ix.sizeBytes,
          replicas: replicaNotes,
          definition: ix.definition,
        },
      },
      call: sqlCall("DROP INDEX CONCURRENTLY", statement, t, ix.tableOid, true),
      checks,
      preconditions: [
        { description: "same index", attribute: "oid", expected: ix.oid, test: "equals" },
        { description: "still unused on the primary (idx_scan = 0)", attribute: "scans", expected: 0, test: "equals" },
        { description: "still valid", attribute: "valid", expected: true, test: "equals" },
        ...(replicas.length ? [{ description: "still unused on every replica", attribute: "replicaScans", expected: 0, test: "equals" as const }] : []),
      ],
    });
  }
  return { actions, skipped };
}

function days(ms: number): string {
  const d = ms / 86_400_000;
  if (d >= 1) return `${Math.floor(d)} day(s)`;
  const h = ms / 3_600_000;
  if (h >= 1) return `${Math.floor(h)} hour(s)`;
  return `${Math.max(0, Math.floor(ms / 60_000))} minute(s)`;
}
