import { describe, expect, test } from "bun:test";
import { estimateBtreeBloat } from "../../src/commands/db-maintenance/bloat.ts";
import { formatSpan, parseSize } from "../../src/commands/db-maintenance/common.ts";
import { type ReplicaEvidence, selectReindex, selectUnusedIndexes } from "../../src/commands/db-maintenance/select-indexes.ts";
import { selectIdleSessions } from "../../src/commands/db-maintenance/select-sessions.ts";
import { selectAnalyze, selectVacuum } from "../../src/commands/db-maintenance/select-tables.ts";
import { index, session, table } from "../support/pg-rows.ts";

const T = { lockTimeout: "2s", statementTimeout: "30m" };
const DB = "app";
const ids = (s: { actions: { id: string }[] }) => s.actions.map((a) => a.id);
const reasons = (s: { skipped: { resource: { id: string }; reason: string; category: string }[] }) =>
  Object.fromEntries(s.skipped.map((k) => [k.resource.id, `${k.category}: ${k.reason}`]));

describe("analyze", () => {
  const c = { threshold: 50, scaleFactor: 0.1 };
  test("never analyzed, or modified beyond threshold + factor × rows; an empty never-analyzed table is not stale", () => {
    const s = selectAnalyze(
      [
        table({ name: "fresh", modsSinceAnalyze: 150 }), // limit 50 + 100 = 150: not beyond
        table({ name: "stale", modsSinceAnalyze: 151 }),
        table({ name: "never", lastAnalyze: null, modsSinceAnalyze: 10 }),
        table({ name: "empty", lastAnalyze: null, liveTuples: 0, reltuples: -1 }),
      ],
      c,
      T,
      DB,
      true,
    );
    expect(ids(s)).toEqual(["analyze:public.stale", "analyze:public.never"]);
    expect(s.actions[0]?.reason.summary).toBe("151 rows modified since the last analyze (2026-11-30T08:00:00.000Z) > threshold 150 (50 + 0.1 × 1000 rows)");
    expect(s.actions[1]?.reason.summary).toBe("never analyzed; 1000 live rows");
    expect(s.actions[0]?.call.parameters.statement).toBe('ANALYZE "public"."stale"');
    expect(s.actions[0]?.preconditions.map((p) => [p.attribute, p.expected])).toEqual([
      ["oid", 16_400],
      ["analyzedAt", "2026-11-30T08:00:00.000Z"],
    ]);
    expect(reasons(s)["public.empty"]).toBe("not-eligible: statistics current: empty and never analyzed");
  });

  test("identifiers are quoted, never spliced in raw", () => {
    const s = selectAnalyze([table({ name: 'we"ird; drop table x', lastAnalyze: null })], c, T, DB, false);
    expect(s.actions[0]?.call.parameters.statement).toBe('ANALYZE "public"."we""ird; drop table x"');
  });
});

describe("vacuum", () => {
  const c = { threshold: 1000, scaleFactor: 0.2, freezeAgeRatio: 0.8, freezeMaxAge: 200_000_000 };
  test("dead tuples beyond the threshold → VACUUM; relfrozenxid age near autovacuum_freeze_max_age → VACUUM (FREEZE)", () => {
    const s = selectVacuum(
      [
        table({ name: "clean", deadTuples: 1200 }), // limit 1000 + 200
        table({ name: "bloated", deadTuples: 45_000, liveTuples: 5000, reltuples: 5000 }),
        table({ name: "old", frozenXidAge: 170_000_000 }),
      ],
      c,
      T,
      DB,
      true,
    );
    expect(ids(s)).toEqual(["vacuum:public.bloated", "vacuum:public.old"]);
    expect(s.actions[0]?.reason.summary).toBe("45000 dead tuples (90.0% of rows) > threshold 2000 (1000 + 0.2 × 5000 rows)");
    expect(s.actions[0]?.call.parameters.statement).toBe('VACUUM "public"."bloated"');
    expect(s.actions[1]?.reason.summary).toBe("relfrozenxid age 170000000 > 160000000 (0.8 × autovacuum_freeze_max_age 200000000)");
    expect(s.actions[1]?.call.parameters.statement).toBe('VACUUM (FREEZE) "public"."old"');
    expect(reasons(s)["public.clean"]).toContain("1200 dead tuple(s) ≤ threshold 1200");
  });
});

describe("reindex", () => {
  const c = { bloatRatio: 0.5, minSizeBytes: 1024 * 1024, minSizeText: "1MB" };
  test("bloat estimate: 20 000 int4 entries fit in ~57 pages; 169 pages is ~66% bloat", () => {
    const e = estimateBtreeBloat(index({ name: "a", tuples: 20_000, sizeBytes: 169 * 8192 }));
    expect(e).toMatchObject({ known: true, actualPages: 169, expectedPages: 57, tupleBytes: 20 });
    expect(e.known && Math.round(e.ratio * 100)).toBe(66);
  });

  test("not estimated: expression, non-B-tree, unanalyzed columns", () => {
    expect(estimateBtreeBloat(index({ name: "e", hasExpressions: true }))).toMatchObject({ known: false, reason: expect.stringContaining("expression") });
    expect(estimateBtreeBloat(index({ name: "g", method: "gin" }))).toMatchObject({ known: false, reason: expect.stringContaining("gin index") });
    expect(estimateBtreeBloat(index({ name: "n", columnsWithStats: 0 }))).toMatchObject({ known: false, reason: expect.stringContaining("analyze") });
  });

  test("leftovers of a failed REINDEX CONCURRENTLY are dropped first; invalid and bloated indexes are rebuilt", () => {
    const s = selectReindex(
      [
        index({ name: "big_idx", oid: 1, tuples: 20_000, sizeBytes: 4_513_792 }),
        index({ name: "small_idx", oid: 2, tuples: 20_000, sizeBytes: 500_000 }),
        index({ name: "tidy_idx", oid: 3, tuples: 200_000, sizeBytes: 4_513_792 }),
        index({ name: "w_idx", oid: 4 }),
        index({ name: "w_idx_ccnew", oid: 5, valid: false }),
        index({ name: "nick_key", oid: 6, valid: false, unique: true }),
        index({ name: "orphan_ccnew", oid: 7, valid: false }),
      ],
      c,
      T,
      DB,
      true,
    );
    expect(ids(s)).toEqual(["delete:public.w_idx_ccnew", "reindex:public.big_idx", "reindex:public.nick_key", "reindex:public.orphan_ccnew"]);
    expect(s.actions[0]?.call.parameters.statement).toBe('DROP INDEX CONCURRENTLY IF EXISTS "public"."w_idx_ccnew"');
    expect(s.actions[1]?.call.parameters.statement).toBe('REINDEX INDEX CONCURRENTLY "public"."big_idx"');
    expect(s.actions[1]?.reason.summary).toBe("estimated bloat 89.7% (3.9 MB of 4.3 MB) ≥ 50.0%");
    expect(reasons(s)["public.small_idx"]).toContain("threshold 50.0% of at least 1MB");
    expect(reasons(s)["public.tidy_idx"]).toMatch(/estimated bloat \d/);
  });
});

describe("drop-unused-indexes", () => {
  const now = new Date("2026-12-02T00:00:00.000Z");
  const c = { minObservedMs: 14 * 86_400_000, minObservedText: "14d", now };
  const primary = { observedSince: "2026-11-01T00:00:00.000Z" };
  const rows = [
    index({ name: "unused_idx", oid: 1 }),
    index({ name: "used_idx", oid: 2, scans: 12 }),
    index({ name: "replica_idx", oid: 3 }),
    index({ name: "orders_pkey", oid: 4, primary: true, unique: true, constraints: ["orders_pkey (primary key)"] }),
    index({ name: "plain_unique", oid: 5, unique: true }),
    index({ name: "broken_idx", oid: 6, valid: false }),
    index({ name: "young_idx", oid: 7, createdAt: "2026-11-28T00:00:00.000Z" }),
  ];
  const replica = (scans: Record<string, number>, observedSince = "2026-11-02T00:00:00.000Z"): ReplicaEvidence => ({
    target: "replica:5432/app",
    reachable: true,
    inRecovery: true,
    observedSince,
    indexes: new Map(rows.map((r) => [`public.${r.name}`, { ...r, scans: scans[r.name] ?? 0 }])),
  });

  test("unused on the primary and every replica, long enough, enforcing nothing → DROP INDEX CONCURRENTLY", () => {
    const s = selectUnusedIndexes(rows, primary, [replica({ replica_idx: 3 })], c, T, DB, true);
    expect(ids(s)).toEqual(["delete:public.unused_idx"]);
    const a = s.actions[0];
    expect(a?.call.parameters.statement).toBe('DROP INDEX CONCURRENTLY "public"."unused_idx"');
    expect(a?.reason.evidence).toMatchObject({
      idxScan: 0,
      statsSince: "2026-11-01T00:00:00.000Z",
      observedFor: "31 day(s)",
      replicas: ["replica:5432/app: 0 scans since 2026-11-02T00:00:00.000Z"],
    });
    expect(a?.checks.map((k) => `${k.name} ${k.status}`)).toEqual(["replica replica:5432/app passed", "index age warning"]);
    expect(reasons(s)).toEqual({
      "public.used_idx": "not-eligible: used: 12 scan(s) since 2026-11-01T00:00:00.000Z",
      "public.replica_idx": "not-eligible: used on replica replica:5432/app: 3 scan(s) since 2026-11-02T00:00:00.000Z",
      "public.orders_pkey": "protected: backs constraint orders_pkey (primary key)",
      "public.plain_unique": "protected: unique index: it enforces uniqueness even without a constraint",
      "public.broken_idx": "not-eligible: invalid: the reindex task rebuilds or cleans it up",
      "public.young_idx": expect.stringContaining("counters only run since 2026-11-28T00:00:00.000Z (4 day(s)), less than --min-observed 14d"),
    });
  });

  test("an unreachable replica or one that is not in recovery fails the check: no evidence, no drop", () => {
    const down: ReplicaEvidence = { target: "replica:5432/app", reachable: false, error: "ECONNREFUSED" };
    const s = selectUnusedIndexes([rows[0] as never], primary, [down], c, T, DB, false);
    expect(s.actions[0]?.checks[0]).toEqual({ name: "replica replica:5432/app", status: "failed", detail: "unreachable (ECONNREFUSED): no evidence, no drop" });
    const notReplica = { ...replica({}), inRecovery: false };
    expect(selectUnusedIndexes([rows[0] as never], primary, [notReplica], c, T, DB, false).actions[0]?.checks[0]?.status).toBe("failed");
  });

  test("a replica whose counters are too young keeps the index", () => {
    const s = selectUnusedIndexes([rows[0] as never], primary, [replica({}, "2026-12-01T00:00:00.000Z")], c, T, DB, false);
    expect(s.actions).toEqual([]);
    expect(s.skipped[0]?.reason).toContain("unused on replica replica:5432/app, but its counters only run since 2026-12-01");
  });
});

describe("terminate-idle-transactions", () => {
  const c = { idleForMs: 3_600_000, idleForText: "1h", terminateSuperusers: false, ownPids: [42] };
  test("idle in transaction longer than --idle-for; never our own session, never a superuser unless allowed", () => {
    const rows = [
      session({ pid: 100 }),
      session({ pid: 101, idleSeconds: 60 }),
      session({ pid: 102, superuser: true, user: "postgres" }),
      session({ pid: 42 }),
      session({ pid: 103, state: "idle in transaction (aborted)" }),
    ];
    const s = selectIdleSessions(rows, c, T, DB);
    expect(ids(s)).toEqual(["terminate:pid:100", "terminate:pid:103"]);
    expect(s.actions[0]?.reason.summary).toBe("idle in transaction for 2h (≥ 1h); user app, application billing, last statement UPDATE");
    expect(s.actions[0]?.preconditions.map((p) => [p.attribute, p.expected])).toEqual([
      ["backendStart", "2026-12-01T09:00:00.000Z"],
      ["xactStart", "2026-12-01T10:00:00.000Z"],
      ["idleInTransaction", true],
    ]);
    expect(reasons(s)).toEqual({
      "pid:101": "not-eligible: idle in transaction for 1m, less than --idle-for 1h",
      "pid:102": "protected: superuser session (postgres): allowed only with dbMaintenance.terminateSuperusers",
      "pid:42": "protected: this opsctl run's own session",
    });
    expect(ids(selectIdleSessions(rows, { ...c, terminateSuperusers: true }, T, DB))).toContain("terminate:pid:102");
  });
});

test("sizes and spans for people", () => {
  expect(parseSize("10MB")).toBe(10 * 1024 * 1024);
  expect(parseSize("512kB")).toBe(512 * 1024);
  expect(parseSize("100")).toBe(100);
  expect(parseSize("10 mb")).toBeUndefined();
  expect(formatSpan(93_784_000)).toBe("1d 2h");
  expect(formatSpan(59_000)).toBe("59s");
});

test("per-table queue: one at a time per table, in order; other tables in parallel", async () => {
  const { PerKeyQueue } = await import("../../src/commands/db-maintenance/per-table.ts");
  const q = new PerKeyQueue();
  const log: string[] = [];
  const step = (key: string, name: string, ms: number) =>
    q.run(key, async () => {
      log.push(`start ${name}`);
      await Bun.sleep(ms);
      log.push(`end ${name}`);
    });
  await Promise.all([step("t1", "a", 30), step("t1", "b", 1), step("t2", "c", 1)]);
  expect(log).toEqual(["start a", "start c", "end c", "end a", "start b", "end b"]);
});
