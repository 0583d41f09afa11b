import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { applyAction } from "../../src/commands/db-maintenance/apply.ts";
import { indexResource, sqlCall, type Task } from "../../src/commands/db-maintenance/common.ts";
import { discover, type ReplicaRef, type TaskSettings } from "../../src/commands/db-maintenance/discover.ts";
import { liveState } from "../../src/commands/db-maintenance/live.ts";
import { validateAction } from "../../src/commands/db-maintenance/validate.ts";
import { unmetPreconditions } from "../../src/core/preconditions.ts";
import { createPgMaintenance, type IndexRow, type PgMaintenancePort } from "../../src/providers/postgres/maintenance.ts";
import { catalogSnapshot, pgPeers, type Seeded, seedDatabase, withDb } from "../support/pg-seed.ts";

// The provider and the command's discovery/validation/apply steps against the real
// primary and its streaming replica (scripts/peers.sh), without the CLI around them.

const T = { lockTimeoutMs: 1000, statementTimeoutMs: 30_000 };
let seed: Seeded;
let pg: PgMaintenancePort;
let replica: PgMaintenancePort | undefined;

beforeEach(async () => {
  seed = await seedDatabase();
  pg = await createPgMaintenance(seed.dsn, { role: "primary", connectTimeoutSeconds: 5, readTimeouts: T });
});
afterEach(async () => {
  await pg.close();
  await replica?.close();
  replica = undefined;
  await seed.close();
});

const settings = (task: Task, o: Partial<TaskSettings> = {}): TaskSettings => ({
  task,
  filter: {},
  timeouts: { lockTimeout: "1s", statementTimeout: "30s" },
  analyze: { threshold: 50, scaleFactor: 0.1 },
  vacuum: { threshold: 1000, scaleFactor: 0.2, freezeAgeRatio: 0.8 },
  reindex: { bloatRatio: 0.5, minSizeBytes: 1024 * 1024, minSizeText: "1MB" },
  minObservedMs: 0,
  minObservedText: "0s",
  idleForMs: 0,
  idleForText: "0s",
  terminateSuperusers: false,
  now: new Date(),
  nearMisses: true,
  ...o,
});
const replicaRef = (dsn: string): ReplicaRef => ({
  label: "replica",
  connect: async () => {
    replica = await createPgMaintenance(dsn, { role: "replica", connectTimeoutSeconds: 2, readTimeouts: T });
    return replica;
  },
});
const plan = async (task: Task, o: Partial<TaskSettings> = {}, replicas: ReplicaRef[] = []) => discover(pg, await pg.info(), settings(task, o), replicas);
const ids = (s: { actions: { id: string }[] }) => s.actions.map((a) => a.id);
const quiet = { retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 }, signal: new AbortController().signal, log: () => {} };

describe("discovery on the seeded database", () => {
  test("each task finds exactly the seeded objects", async () => {
    expect(ids(await plan("analyze"))).toEqual(["analyze:public.accounts", "analyze:public.events"]);
    expect(ids(await plan("vacuum"))).toEqual(["vacuum:public.ledger"]);
    expect(ids(await plan("reindex"))).toEqual([
      "delete:public.shipments_weight_idx_ccnew",
      "reindex:public.accounts_nickname_key",
      "reindex:public.audit_log_pkey",
      "reindex:public.ledger_pkey",
    ]);
    const drop = await plan("drop-unused-indexes", {}, [replicaRef(seed.replicaDsn)]);
    expect(ids(drop)).toEqual(["delete:public.audit_log_actor_idx", "delete:public.orders_status_idx", "delete:public.shipments_weight_idx"]);
    const why = Object.fromEntries(drop.skipped.map((s) => [s.resource.id, s.reason]));
    expect(why["public.events_kind_idx"]).toMatch(/^used on replica replica: 1 scan\(s\) since /);
    expect(why["public.orders_customer_idx"]).toMatch(/^used: 2 scan\(s\)/);
    expect(why["public.accounts_email_key"]).toBe("backs constraint accounts_email_key (unique)");
    const term = await plan("terminate-idle-transactions");
    expect(ids(term)).toEqual([`terminate:pid:${seed.idle.pid}`]);
    expect(term.skipped.map((s) => [s.resource.id, s.category])).toEqual([[`pid:${seed.idleSuper.pid}`, "protected"]]);
  });

  test("the default --min-observed (14d) keeps every index of a young statistics window", async () => {
    const drop = await plan("drop-unused-indexes", { minObservedMs: 14 * 86_400_000, minObservedText: "14d" });
    expect(drop.actions).toEqual([]);
    expect(drop.skipped.find((s) => s.resource.id === "public.orders_status_idx")?.reason).toMatch(/counters only run since .* less than --min-observed 14d/);
  });

  test("an unreachable replica: the drop carries a failed check (no evidence, no drop)", async () => {
    const down = withDb("postgres://opsctl:x@127.0.0.1:1/db", seed.db);
    const drop = await plan("drop-unused-indexes", {}, [replicaRef(down)]);
    expect(drop.actions[0]?.checks[0]).toMatchObject({ name: "replica replica", status: "failed", detail: expect.stringContaining("no evidence, no drop") });
  });
});

test("discovery takes no lock on user tables: it answers while another session holds ACCESS EXCLUSIVE locks", async () => {
  const holder = postgres(withDb(pgPeers().adminUrl, seed.db), { max: 1, onnotice: () => {} });
  const conn = await holder.reserve();
  await conn.unsafe("begin");
  await conn.unsafe("lock table ledger, shipments, orders in access exclusive mode");
  try {
    for (const task of ["analyze", "vacuum", "reindex", "drop-unused-indexes", "terminate-idle-transactions"] as Task[]) await plan(task);
    const [ledger] = (await plan("reindex")).actions.filter((a) => a.resource.id === "public.ledger_pkey");
    expect(await liveState(pg, ledger as never, async () => [])).toMatchObject({ valid: true });
  } finally {
    conn.release();
    await holder.end();
  }
});

describe("validation changes nothing", () => {
  test("every task's actions validate against the server, and the catalog snapshot is unchanged", async () => {
    const before = await catalogSnapshot(seed);
    for (const task of ["analyze", "vacuum", "reindex", "drop-unused-indexes", "terminate-idle-transactions"] as Task[]) {
      const sel = await plan(task, {}, task === "drop-unused-indexes" ? [replicaRef(seed.replicaDsn)] : []);
      for (const a of sel.actions) {
        const checks = await validateAction(pg, a, T);
        expect(checks.filter((c) => c.status !== "passed")).toEqual([]);
      }
    }
    expect(await catalogSnapshot(seed)).toEqual(before);
  });

  test("the server's refusals become failed checks: a constraint's index, a table owned by someone else, a held lock", async () => {
    const admin = seed.admin;
    await admin.unsafe("create table foreign_owned (id int primary key); insert into foreign_owned values (1)").simple();
    const mk = (type: string, attrs: Record<string, unknown>, name: string, operation: string) =>
      ({
        id: "x",
        resource: { type, id: name, name, attributes: attrs },
        operation,
        reason: { summary: "", evidence: {} },
        call: { service: "", operation: "", parameters: {} },
        checks: [],
        preconditions: [],
      }) as never;
    const email = (await pg.indexes({ table: "accounts" })).find((i) => i.name === "accounts_email_key");
    const dropChecks = await validateAction(
      pg,
      mk("postgres.index", { schema: "public", oid: email?.oid, tableOid: email?.tableOid }, "accounts_email_key", "delete"),
      T,
    );
    expect(dropChecks[0]).toMatchObject({
      status: "failed",
      detail: expect.stringContaining("constraint accounts_email_key on table accounts requires it (2BP01)"),
    });
    const [fo] = await pg.tables({ table: "foreign_owned" });
    // opsctl owns the database: PostgreSQL 15 lets the database owner ANALYZE it. Take that away.
    await admin.unsafe(`alter database ${seed.db} owner to postgres`);
    const own = await validateAction(pg, mk("postgres.table", { schema: "public", oid: fo?.oid }, "foreign_owned", "analyze"), T);
    expect(own[0]).toMatchObject({ name: "privilege (catalog)", status: "failed", detail: expect.stringContaining("may not ANALYZE public.foreign_owned") });
    const holder = postgres(seed.dsn.replace("opsctl:opsctl-test-pw", "postgres"), { max: 1, onnotice: () => {} });
    const conn = await holder.reserve();
    await conn.unsafe("begin");
    await conn.unsafe("lock table events in access exclusive mode");
    const [ev] = await pg.tables({ table: "events" });
    const locked = await validateAction(pg, mk("postgres.table", { schema: "public", oid: ev?.oid }, "events", "vacuum"), T);
    expect(locked[1]).toMatchObject({ name: "lock (BEGIN … ROLLBACK)", status: "failed", detail: "canceling statement due to lock timeout (55P03)" });
    conn.release();
    await holder.end();
  });
});

test("before apply the provider refuses every statement that changes something", async () => {
  let phase: "plan" | "validate" | "apply" = "plan";
  const guarded = await createPgMaintenance(seed.dsn, { role: "primary", connectTimeoutSeconds: 5, readTimeouts: T, phase: () => phase });
  try {
    const [events] = await guarded.tables({ table: "events" });
    const stmt = { sql: 'ANALYZE "public"."events"', tableOid: events?.oid as number, concurrently: false };
    await expect(guarded.run(stmt, { ...T, ...quiet })).rejects.toThrow('postgresql ANALYZE "public"."events" was refused while planning');
    phase = "validate";
    await expect(guarded.terminate({ pid: seed.idle.pid, backendStart: seed.idle.backendStart, xactStart: seed.idle.xactStart }, T)).rejects.toThrow(
      "refused while validating",
    );
    expect((await guarded.tables({ table: "events" }))[0]?.lastAnalyze).toBeNull();
    phase = "apply";
    expect(await guarded.run(stmt, { ...T, ...quiet })).toEqual({ attempts: 1 });
  } finally {
    await guarded.close();
  }
});

describe("apply", () => {
  test("a lock held by another session: lock timeout, bounded retries with backoff, then failure with nothing done", async () => {
    const [action] = (await plan("analyze")).actions.filter((a) => a.resource.id === "public.events");
    const holder = postgres(withDb(pgPeers().adminUrl, seed.db), { max: 1, onnotice: () => {} });
    const conn = await holder.reserve();
    await conn.unsafe("begin");
    await conn.unsafe("lock table events in access exclusive mode");
    const log: string[] = [];
    const started = Date.now();
    const err = await applyAction(pg, action as never, { ...quiet, log: (m) => log.push(m) }).catch((e) => e);
    expect(err.exit).toBe("remote");
    expect(err.message).toContain('lock not available within lock_timeout 1000 ms after 3 attempt(s): ANALYZE "public"."events"');
    expect(err.message).toMatch(/holding locks on the table: pid \d+ \(postgres, idle in transaction, AccessExclusiveLock\)/);
    expect(log.filter((l) => l.startsWith("lock_timeout (1000 ms) on attempt"))).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 1000);
    conn.release();
    await holder.end();
    const [events] = await pg.tables({ table: "events" });
    expect(events?.lastAnalyze).toBeNull();
  });

  test("every task applies; a second discovery finds nothing left", async () => {
    for (const task of ["reindex", "vacuum", "analyze", "terminate-idle-transactions"] as Task[]) {
      for (const a of (await plan(task)).actions) {
        expect(unmetPreconditions(a.preconditions, (await liveState(pg, a, async () => [])) ?? {})).toEqual([]);
        expect((await applyAction(pg, a, quiet)).status).toBe("applied");
      }
    }
    const drop = (await plan("drop-unused-indexes", {}, [replicaRef(seed.replicaDsn)])).actions;
    for (const a of drop) {
      expect(unmetPreconditions(a.preconditions, (await liveState(pg, a, async () => [replica as PgMaintenancePort])) ?? {})).toEqual([]);
      await applyAction(pg, a, quiet);
    }
    await Bun.sleep(700);
    expect(ids(await plan("reindex", { nearMisses: false }))).toEqual([]);
    expect(ids(await plan("vacuum"))).toEqual([]);
    expect(ids(await plan("analyze"))).toEqual([]);
    expect(ids(await plan("terminate-idle-transactions"))).toEqual([]);
    expect((await pg.indexes({ table: "orders" })).map((i) => i.name)).toEqual(["orders_customer_idx", "orders_pkey"]);
  });

  test("drift: an index used since the plan, a session that moved on, a table analyzed meanwhile", async () => {
    const [drop] = (await plan("drop-unused-indexes")).actions.filter((a) => a.resource.id === "public.orders_status_idx");
    const [term] = (await plan("terminate-idle-transactions")).actions;
    const [an] = (await plan("analyze")).actions.filter((a) => a.resource.id === "public.events");
    const user = postgres(seed.dsn, { max: 1, onnotice: () => {} });
    await user.unsafe("set enable_seqscan = off; select count(*) from orders where status = 'paid'; analyze events").simple();
    await user.end();
    // The ended session's counters reach shared statistics when its backend exits.
    for (let i = 0; i < 100; i++) {
      await seed.admin`select pg_stat_clear_snapshot()`;
      const [r] = await seed.admin<{ n: number }[]>`select idx_scan::int as n from pg_stat_user_indexes where indexrelname = 'orders_status_idx'`;
      if ((r?.n ?? 0) > 0) break;
      await Bun.sleep(100);
    }
    expect(unmetPreconditions(drop?.preconditions ?? [], (await liveState(pg, drop as never, async () => [])) ?? {})).toEqual([
      "still unused on the primary (idx_scan = 0) (scans is now 1)",
    ]);
    expect(unmetPreconditions(an?.preconditions ?? [], (await liveState(pg, an as never, async () => [])) ?? {})[0]).toMatch(/^not analyzed since the plan/);
    await seed.admin`select pg_terminate_backend(${seed.idle.pid}, 5000)`; // waits until the session has ended
    expect(await liveState(pg, term as never, async () => [])).toBeUndefined();
  });

  test("a CONCURRENTLY statement that fails (statement_timeout) or is interrupted leaves no invalid index behind", async () => {
    // Each index entry now takes 10 ms to compute: the rebuild of 1000 entries runs ~10 s.
    await seed.admin.unsafe(
      "create or replace function seed_guard(v int) returns int language plpgsql immutable as 'begin perform pg_sleep(0.01); return v; end'",
    );
    // An expression index has no bloat estimate: the action is built as the planner would.
    const w = (await pg.indexes({ table: "shipments" })).find((i) => i.name === "shipments_weight_idx") as IndexRow;
    const statement = 'REINDEX INDEX CONCURRENTLY "public"."shipments_weight_idx"';
    const ix = {
      id: "reindex:public.shipments_weight_idx",
      resource: indexResource(w, seed.db),
      operation: "reindex",
      reason: { summary: "test", evidence: {} },
      call: sqlCall("REINDEX INDEX CONCURRENTLY", statement, { lockTimeout: "1s", statementTimeout: "30s" }, w.tableOid, true),
      checks: [],
      preconditions: [],
    };
    const timeout = { ...ix, call: { ...ix?.call, parameters: { ...ix?.call.parameters, statementTimeout: "1s" } } };
    const err = await applyAction(pg, timeout as never, quiet).catch((e) => e);
    expect(err.message).toContain(
      'statement_timeout 1000 ms reached: REINDEX INDEX CONCURRENTLY "public"."shipments_weight_idx" was cancelled; it left invalid index "public"."shipments_weight_idx_ccnew1", which was dropped',
    );
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1000);
    const log: string[] = [];
    const int = await applyAction(pg, ix as never, { ...quiet, signal: ac.signal, log: (m) => log.push(m) }).catch((e) => e);
    expect(int.message).toMatch(
      /^interrupted: REINDEX INDEX CONCURRENTLY .* was cancelled \(canceling statement due to user request\); it left invalid index .*_ccnew1", which was dropped$/,
    );
    expect(log.some((l) => /^interrupted: cancelling backend \d+ \(pg_cancel_backend\)$/.test(l))).toBe(true);
    // The seeded leftover (_ccnew) is still there; the two new ones are gone.
    expect((await pg.indexes({ table: "shipments" })).map((i) => `${i.name}:${i.valid}`)).toEqual([
      "shipments_pkey:true",
      "shipments_weight_idx:true",
      "shipments_weight_idx_ccnew:false",
    ]);
  });
});
