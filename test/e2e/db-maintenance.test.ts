import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { runBin } from "../support/bin.ts";
import { catalogSnapshot, pgPeers, type Seeded, seedDatabase, withDb } from "../support/pg-seed.ts";
import { tempRepo } from "../support/tmp.ts";

// The compiled binary against the peers' PostgreSQL primary and its streaming replica,
// one freshly seeded database per test (test/support/pg-seed.ts).

let seed: Seeded;
beforeEach(async () => {
  seed = await seedDatabase();
});
afterEach(async () => {
  await seed.close();
});

const CONFIG = `protectedEnvironments: [prod]
dbMaintenance:
  lockTimeout: 1s
  retryBackoff: 1s
  minObserved: 0s
  idleFor: 0s
  reindexMinSize: 1MB
environments:
  staging:
    dbMaintenance:
      dsn: env:PG_DSN
      replicas:
        replica1: env:PG_REPLICA_DSN
  prod:
    dbMaintenance:
      dsn: env:PG_DSN
`;

function ws(extra = "") {
  const dir = tempRepo({ "opsctl.config.yaml": CONFIG + extra });
  const env = {
    HOME: join(dir, "home"),
    XDG_CONFIG_HOME: join(dir, "home", ".config"),
    XDG_STATE_HOME: join(dir, "home", ".state"),
    PG_DSN: seed.dsn,
    PG_REPLICA_DSN: seed.replicaDsn,
  };
  return { dir, env };
}

const db = (...args: string[]) => ["db-maintenance", ...args];
const ids = (j: { plan: { actions: { id: string }[] } }) => j.plan.actions.map((a) => a.id);
const indexNames = async (table: string) =>
  (
    await seed.admin<
      { relname: string }[]
    >`select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = ${table}::regclass order by 1`
  ).map((r) => r.relname);

describe("db-maintenance dry runs", () => {
  test("every task's dry run lists its objects with evidence, passes the server's checks, and changes nothing (catalog snapshot)", async () => {
    const { dir, env } = ws();
    const before = await catalogSnapshot(seed);
    const expected: Record<string, string[]> = {
      analyze: ["analyze:public.accounts", "analyze:public.events"],
      vacuum: ["vacuum:public.ledger"],
      reindex: [
        "delete:public.shipments_weight_idx_ccnew",
        "reindex:public.accounts_nickname_key",
        "reindex:public.audit_log_pkey",
        "reindex:public.ledger_pkey",
      ],
      "drop-unused-indexes": ["delete:public.audit_log_actor_idx", "delete:public.orders_status_idx", "delete:public.shipments_weight_idx"],
      "terminate-idle-transactions": [`terminate:pid:${seed.idle.pid}`],
    };
    for (const [task, want] of Object.entries(expected)) {
      const r = await runBin(db(task, "--environment", "staging", "--dry-run", "--format", "json"), { cwd: dir, env });
      expect({ task, code: r.code, stderr: r.stderr }).toEqual({ task, code: 10, stderr: "" });
      expect(ids(r.json)).toEqual(want);
      expect(r.json.scope).toEqual({ environment: "staging", target: `database=127.0.0.1:${new URL(seed.dsn).port}/${seed.db}` });
      for (const a of r.json.plan.actions) expect(a.checks.filter((c: { status: string }) => c.status === "failed")).toEqual([]);
    }
    expect(await catalogSnapshot(seed)).toEqual(before);
  });

  test("text: the reason and evidence a reviewer needs, the scope with host and database, no credentials", async () => {
    const { dir, env } = ws();
    const r = await runBin(["db-maintenance", "drop-unused-indexes", "--environment", "staging", "--dry-run", "--table", "orders"], { cwd: dir, env });
    expect(r.code).toBe(10);
    const port = new URL(seed.dsn).port;
    expect(r.stdout).toContain(`db-maintenance — dry run — environment=staging database=127.0.0.1:${port}/${seed.db}`);
    expect(r.stdout).toContain("public.orders_status_idx");
    expect(r.stdout).toMatch(/idx_scan = 0 since .* on the primary and 1 replica\(s\)/);
    expect(r.stdout).toContain("backs constraint orders_pkey (primary key)");
    expect(r.stdout).not.toContain("opsctl-test-pw");
    expect(r.stdout).toContain("Dry run: 1 change(s), nothing applied.");
  });
});

describe("db-maintenance apply", () => {
  test("analyze, vacuum, reindex, drop-unused-indexes, terminate-idle-transactions: applied; the next dry run finds nothing", async () => {
    const { dir, env } = ws();
    for (const task of ["reindex", "vacuum", "analyze", "drop-unused-indexes", "terminate-idle-transactions"]) {
      const r = await runBin(db(task, "--environment", "staging", "--format", "json"), { cwd: dir, env });
      expect({ task, code: r.code, errors: r.json.errors }).toEqual({ task, code: 0, errors: [] });
      expect(r.json.result.actions.every((a: { status: string }) => a.status === "applied")).toBe(true);
    }
    await Bun.sleep(1200); // the sessions' statistics reach the shared counters
    for (const task of ["reindex", "vacuum", "analyze", "terminate-idle-transactions"]) {
      const again = await runBin(db(task, "--environment", "staging", "--dry-run", "--format", "json"), { cwd: dir, env });
      expect({ task, code: again.code, ids: ids(again.json) }).toEqual({ task, code: 0, ids: [] });
    }
    expect(await indexNames("orders")).toEqual(["orders_customer_idx", "orders_pkey"]);
    expect(await indexNames("shipments")).toEqual(["shipments_pkey"]);
    const [gone] = await seed.admin`select count(*)::int as n from pg_stat_activity where pid = ${seed.idle.pid}`;
    expect(gone?.n).toBe(0);
  });

  test("a lock held at plan time: the dry run's lock probe fails (exit 3), nothing changed", async () => {
    const { dir, env } = ws();
    const holder = postgres(withDb(pgPeers().adminUrl, seed.db), { max: 1, onnotice: () => {} });
    const conn = await holder.reserve();
    await conn.unsafe("begin");
    await conn.unsafe("lock table events in access exclusive mode");
    try {
      const r = await runBin(db("analyze", "--environment", "staging", "--table", "events", "--format", "json"), { cwd: dir, env });
      expect(r.code).toBe(3);
      expect(r.json.errors[0]).toMatchObject({
        resource: "public.events",
        message: "lock (BEGIN … ROLLBACK): canceling statement due to lock timeout (55P03)",
      });
      expect(r.json.result).toBeNull();
    } finally {
      conn.release();
      await holder.end();
    }
    const [t] = await seed.admin`select last_analyze from pg_stat_user_tables where relname = 'events'`;
    expect(t?.last_analyze).toBeNull();
  });

  test("a lock taken during the apply: lock timeout, retries with backoff, then that action fails with nothing half done (exit 5)", async () => {
    const { dir, env } = ws();
    // a_slow sorts first: its invalid index takes ~3 s to rebuild, time to take ledger's lock.
    await seed.admin.unsafe("create function slow_guard(v int) returns int language plpgsql immutable as 'begin raise exception ''no''; end'");
    await seed.admin
      .unsafe(
        "create table a_slow (id int primary key, w int not null); alter table a_slow owner to opsctl; insert into a_slow select g, g from generate_series(1, 1000) g",
      )
      .simple();
    await seed.admin.unsafe("create index concurrently a_slow_idx on a_slow (slow_guard(w))").catch(() => {});
    await seed.admin.unsafe(
      "create or replace function slow_guard(v int) returns int language plpgsql immutable as 'begin perform pg_sleep(0.003); return v; end'",
    );
    const holder = postgres(withDb(pgPeers().adminUrl, seed.db), { max: 1, onnotice: () => {} });
    const conn = await holder.reserve();
    try {
      const r = await runBin(db("reindex", "--environment", "staging", "--concurrency", "1", "--format", "json"), {
        cwd: dir,
        env: { ...env, OPSCTL_DB_MAINTENANCE__LOCK_RETRIES: "2" },
        during: async () => {
          for (let i = 0; i < 300; i++) {
            const [row] =
              await seed.admin`select count(*)::int as n from pg_stat_activity where query like 'REINDEX INDEX CONCURRENTLY "public"."a_slow_idx"%' and state = 'active'`;
            if ((row?.n ?? 0) > 0) break;
            await Bun.sleep(50);
          }
          await conn.unsafe("begin");
          await conn.unsafe("lock table ledger in access exclusive mode");
        },
      });
      expect({ code: r.code, errors: r.json.errors }).toEqual({ code: 5, errors: expect.any(Array) });
      const byId = Object.fromEntries(r.json.result.actions.map((a: { id: string; status: string }) => [a.id, a]));
      expect(Object.values(byId).map((a) => (a as { status: string }).status)).toEqual(["applied", "applied", "applied", "applied", "failed"]);
      expect(byId["reindex:public.ledger_pkey"].error.message).toMatch(
        /^lock not available within lock_timeout 1000 ms after 3 attempt\(s\): REINDEX INDEX CONCURRENTLY "public"."ledger_pkey"; holding locks on the table: pid \d+ \(postgres, idle in transaction, AccessExclusiveLock\); nothing was changed by it$/,
      );
      expect(r.stderr.match(/lock_timeout \(1000 ms\) on attempt \d\/3/g)).toHaveLength(2);
    } finally {
      conn.release();
      await holder.end();
    }
    expect(await indexNames("ledger")).toEqual(["ledger_pkey"]);
    const [ix] = await seed.admin`select indisvalid from pg_index where indexrelid = 'ledger_pkey'::regclass`;
    expect(ix?.indisvalid).toBe(true);
  });

  test("a saved plan is applied as reviewed with `opsctl apply FILE`; --database picks the database the DSN does not name", async () => {
    const { dir, env } = ws();
    const other = { ...env, PG_DSN: withDb(seed.dsn, "opsctl") };
    const dry = await runBin(["db-maintenance", "vacuum", "--environment", "staging", "--database", seed.db, "--dry-run", "--out", "plan.json"], {
      cwd: dir,
      env: other,
    });
    expect(dry.code).toBe(10);
    expect(dry.stdout).toContain(`database=127.0.0.1:${new URL(seed.dsn).port}/${seed.db}`);
    // The DSN's database is part of the scope: a plan for one database is refused for another.
    const elsewhere = await runBin(["apply", "plan.json", "--format", "json"], { cwd: dir, env: other });
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.json.errors[0].message).toContain("the scope no longer resolves the same");
    const r = await runBin(["apply", "plan.json", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.json.result.actions.map((a: { id: string; status: string }) => `${a.id} ${a.status}`)).toEqual(["vacuum:public.ledger applied"]);
    const [t] = await seed.admin`select last_vacuum from pg_stat_user_tables where relname = 'ledger'`;
    expect(t?.last_vacuum).not.toBeNull();
  });

  test("drift between plan and apply: a saved plan whose index was used since is refused (exit 3), nothing dropped", async () => {
    const { dir, env } = ws();
    const dry = await runBin(db("drop-unused-indexes", "--environment", "staging", "--table", "orders", "--dry-run", "--out", "plan.json"), { cwd: dir, env });
    expect(dry.code).toBe(10);
    const user = postgres(seed.dsn, { max: 1, onnotice: () => {} });
    await user.unsafe("set enable_seqscan = off; select count(*) from orders where status = 'paid'").simple();
    await user.end();
    await Bun.sleep(1200);
    const r = await runBin(["apply", "plan.json", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(JSON.stringify(r.json.errors)).toContain("still unused on the primary (idx_scan = 0) (scans is now 1)");
    expect(await indexNames("orders")).toContain("orders_status_idx");
  });

  test("an interrupt cancels the running REINDEX CONCURRENTLY (pg_cancel_backend) and drops what it left: exit 130", async () => {
    const { dir, env } = ws();
    // An invalid index from a failed CREATE INDEX CONCURRENTLY whose rebuild takes ~10 s
    // (each entry now takes 10 ms to compute).
    await seed.admin.unsafe("create or replace function seed_guard(v int) returns int language plpgsql immutable as 'begin raise exception ''no''; end'");
    await seed.admin.unsafe("create index concurrently shipments_slow_idx on shipments (seed_guard(weight))").catch(() => {});
    await seed.admin.unsafe(
      "create or replace function seed_guard(v int) returns int language plpgsql immutable as 'begin perform pg_sleep(0.01); return v; end'",
    );
    const r = await runBin(db("reindex", "--environment", "staging", "--table", "shipments", "--concurrency", "1", "--format", "json"), {
      cwd: dir,
      env,
      during: async (proc) => {
        for (let i = 0; i < 200; i++) {
          const [row] = await seed.admin`select count(*)::int as n from pg_stat_activity where query like 'REINDEX INDEX CONCURRENTLY%' and state = 'active'`;
          if ((row?.n ?? 0) > 0) break;
          await Bun.sleep(100);
        }
        await Bun.sleep(500);
        proc.kill("SIGINT");
      },
    });
    expect(r.code).toBe(130);
    expect(r.json.result.actions.map((a: { id: string; status: string }) => `${a.id} ${a.status}`)).toEqual([
      "delete:public.shipments_weight_idx_ccnew applied",
      "reindex:public.shipments_slow_idx failed",
    ]);
    expect(r.stderr).toMatch(/interrupted: cancelling backend \d+ \(pg_cancel_backend\)/);
    expect(r.json.result.actions[1].error.message).toMatch(
      /^interrupted: REINDEX INDEX CONCURRENTLY "public"."shipments_slow_idx" was cancelled .*it left invalid index "public"."shipments_slow_idx_ccnew", which was dropped$/,
    );
    expect(await indexNames("shipments")).toEqual(["shipments_pkey", "shipments_slow_idx", "shipments_weight_idx"]);
  });
});

describe("db-maintenance failures: the documented exit code, a clear message, nothing changed", () => {
  test("an unreachable replica: no evidence, no drop (exit 3), dry run and apply", async () => {
    const { dir, env } = ws();
    const bad = { ...env, PG_REPLICA_DSN: withDb("postgres://opsctl:pw@127.0.0.1:9", seed.db) };
    for (const extra of [["--dry-run"], []]) {
      const r = await runBin(db("drop-unused-indexes", "--environment", "staging", "--format", "json", ...extra), { cwd: dir, env: bad });
      expect(r.code).toBe(3);
      expect(r.json.errors[0].message).toMatch(/^replica 127\.0\.0\.1:9\/\S+: unreachable \(.*ECONNREFUSED.*\): no evidence, no drop$/);
    }
    expect(await indexNames("orders")).toContain("orders_status_idx");
  });

  test("a wrong password: exit 4 naming the server, never the password", async () => {
    const { dir, env } = ws();
    const wrong = seed.dsn.replace("opsctl-test-pw", "WRONG-pw-8c1e");
    for (const format of ["text", "json"]) {
      const r = await runBin(db("vacuum", "--environment", "staging", "--format", format), { cwd: dir, env: { ...env, PG_DSN: wrong } });
      expect(r.code).toBe(4);
      expect(r.stdout + r.stderr).toContain(
        `PostgreSQL primary 127.0.0.1:${new URL(seed.dsn).port}/${seed.db} credentials rejected: password authentication failed for user "opsctl" (28P01)`,
      );
      expect(r.stdout + r.stderr).not.toContain("WRONG-pw");
      expect(r.stdout + r.stderr).not.toContain("opsctl-test-pw");
    }
  });

  test("an unreachable primary is exit 4; bad input is exit 2 naming what and where", async () => {
    const { dir, env } = ws();
    const down = await runBin(db("analyze", "--environment", "staging"), { cwd: dir, env: { ...env, PG_DSN: "postgres://opsctl:pw@127.0.0.1:9/x" } });
    expect(down.code).toBe(4);
    expect(down.stderr).toContain("PostgreSQL primary 127.0.0.1:9/x unreachable");
    const cases: [string[], Record<string, string>, string][] = [
      [db("--environment", "staging"), {}, "missing argument <task>"],
      [
        db("shrink", "--environment", "staging"),
        {},
        "<task> must be one of analyze, vacuum, reindex, drop-unused-indexes, terminate-idle-transactions, got 'shrink'",
      ],
      [db("analyze", "--environment", "staging", "--db-lock-timeout", "soon"), {}, "--db-lock-timeout"],
      [db("analyze", "--environment", "staging", "--bogus"), {}, "--bogus"],
      [db("analyze", "--environment", "dev"), {}, "no PostgreSQL connection: set dbMaintenance.dsn (per environment: environments.dev.dbMaintenance.dsn)"],
      [db("analyze", "--environment", "staging"), { PG_DSN: "mysql://x" }, "dbMaintenance.dsn is not a postgres:// or postgresql:// URL"],
      [db("analyze", "--environment", "staging"), { OPSCTL_DB_MAINTENANCE__REINDEX_BLOAT_RATIO: "2" }, "OPSCTL_DB_MAINTENANCE__REINDEX_BLOAT_RATIO"],
    ];
    for (const [args, extra, message] of cases) {
      const r = await runBin(args, { cwd: dir, env: { ...env, ...extra } });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(message);
    }
  });

  test("a protected environment needs --yes to terminate sessions", async () => {
    const { dir, env } = ws();
    const r = await runBin(["db-maintenance", "terminate-idle-transactions", "--environment", "prod"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("environment 'prod' is protected: pass --yes");
    const [still] = await seed.admin`select count(*)::int as n from pg_stat_activity where pid = ${seed.idle.pid}`;
    expect(still?.n).toBe(1);
  });

  test("a canary password in the DSN never appears: show-config, dry run, plan file, apply, errors, audit", async () => {
    const CANARY = "CANARY-pg-pw-61d0e3";
    const root = postgres(pgPeers().adminUrl, { max: 1, onnotice: () => {} });
    await root.unsafe("drop role if exists canary_maint");
    await root.unsafe(`create role canary_maint login password '${CANARY}' in role opsctl`);
    // The role reaches the streaming replica a moment later: wait for it, or the replica's login fails (was flaky).
    const replica = postgres(pgPeers().replicaAdminUrl, { max: 1, onnotice: () => {} });
    try {
      for (let i = 0; i < 100 && !(await replica`select 1 from pg_roles where rolname = 'canary_maint'`).length; i++) await Bun.sleep(100);
    } finally {
      await replica.end();
    }
    try {
      const { dir, env } = ws();
      const swap = (dsn: string) => dsn.replace("opsctl:opsctl-test-pw", `canary_maint:${CANARY}`);
      const e = { ...env, PG_DSN: swap(seed.dsn), PG_REPLICA_DSN: swap(seed.replicaDsn) };
      const runs = [
        db("analyze", "--environment", "staging", "--show-config"),
        db("analyze", "--environment", "staging", "--show-config", "--format", "json"),
        db("drop-unused-indexes", "--environment", "staging", "--dry-run", "--verbose", "--out", "plan.json"),
        db("drop-unused-indexes", "--environment", "staging", "--dry-run", "--format", "json"),
        db("analyze", "--environment", "staging", "--verbose", "--format", "json"),
        db("vacuum", "--environment", "staging", "--bogus", "--format", "json"),
      ];
      for (const args of runs) {
        const r = await runBin(args, { cwd: dir, env: e });
        expect({ args, code: r.code }).not.toEqual({ args, code: 1 });
        expect(r.stdout + r.stderr).not.toContain(CANARY);
      }
      // The secret was used for real: the apply above analyzed as canary_maint.
      const [t] = await seed.admin`select last_analyze from pg_stat_user_tables where relname = 'events'`;
      expect(t?.last_analyze).not.toBeNull();
      const wrong = await runBin(db("analyze", "--environment", "staging"), { cwd: dir, env: { ...e, PG_DSN: e.PG_DSN.replace(CANARY, `${CANARY}-nope`) } });
      expect(wrong.code).toBe(4);
      expect(wrong.stdout + wrong.stderr).not.toContain(CANARY);
      expect(readFileSync(join(dir, "plan.json"), "utf8")).not.toContain(CANARY);
      const state = join(dir, "home", ".state");
      const files = readdirSync(state, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(readFileSync(join(f.parentPath, f.name), "utf8")).not.toContain(CANARY);
    } finally {
      await seed.admin.unsafe("select pg_terminate_backend(pid) from pg_stat_activity where usename = 'canary_maint'");
      await root.unsafe("drop role if exists canary_maint").catch(() => {});
      await root.end();
    }
  });
});
