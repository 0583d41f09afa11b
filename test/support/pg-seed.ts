import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";

// A fresh database per test on the peers' PostgreSQL primary (scripts/peers.sh), seeded
// with what db-maintenance looks for, and replicated to the streaming replica.

export interface PgPeers {
  url: string;
  adminUrl: string;
  replicaUrl: string;
  replicaAdminUrl: string;
}

const ENV_FILE = process.env.OPSCTL_TEST_PEERS_ENV ?? join(import.meta.dir, "..", "..", ".peers", "env");

/** The primary and its replica; fails (never skips) when they are not running. */
export function pgPeers(): PgPeers {
  const env: Record<string, string> = {};
  if (existsSync(ENV_FILE)) {
    for (const line of readFileSync(ENV_FILE, "utf8").split("\n")) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1] as string] = m[2] as string;
    }
  }
  const need = ["PG_URL", "PG_ADMIN_URL", "PG_REPLICA_URL", "PG_REPLICA_ADMIN_URL"];
  const missing = need.filter((k) => !env[k]);
  if (missing.length) {
    throw new Error(
      `postgres and postgres-replica are not running (${ENV_FILE} lacks ${missing.join(", ")}): 'bash scripts/peers.sh start postgres postgres-replica'`,
    );
  }
  return { url: env.PG_URL, adminUrl: env.PG_ADMIN_URL, replicaUrl: env.PG_REPLICA_URL, replicaAdminUrl: env.PG_REPLICA_ADMIN_URL } as PgPeers;
}

export const withDb = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

export interface Seeded {
  db: string;
  /** opsctl's DSNs for this database (password included: pass it through an env var). */
  dsn: string;
  replicaDsn: string;
  admin: postgres.Sql;
  /** The opsctl-owned session left idle in transaction, and the superuser one. */
  idle: { pid: number; backendStart: string; xactStart: string };
  idleSuper: { pid: number };
  close(): Promise<void>;
}

const SEED = `
create table orders (id int primary key, customer_id int not null, status text not null, note text) with (autovacuum_enabled = off);
insert into orders select g, g % 500, (array['new','paid','shipped'])[1 + g % 3], md5(g::text) from generate_series(1, 20000) g;
create index orders_customer_idx on orders (customer_id);
create index orders_status_idx on orders (status);
analyze orders;

create table events (id bigint primary key, kind text not null, payload text) with (autovacuum_enabled = off);
create index events_kind_idx on events (kind);
insert into events select g, 'kind-' || (g % 50), md5(g::text) from generate_series(1, 10000) g;

create table accounts (id int primary key, email text not null unique, nickname text) with (autovacuum_enabled = off);
insert into accounts select g, 'user' || g || '@example.test', 'nick' || (g % 900) from generate_series(1, 1000) g;
analyze accounts;

create table ledger (id int primary key, amount numeric not null) with (autovacuum_enabled = off);
insert into ledger select g, g * 1.5 from generate_series(1, 50000) g;
analyze ledger;
delete from ledger where id % 10 <> 0;
analyze ledger;

create table audit_log (id int primary key, actor int not null) with (autovacuum_enabled = off);
insert into audit_log select g, g % 1000 from generate_series(1, 100000) g;
create index audit_log_actor_idx on audit_log (actor);
delete from audit_log where id % 10 <> 0;

create function seed_guard(v int) returns int language plpgsql immutable as 'begin return v; end';
create table shipments (id int primary key, weight int not null) with (autovacuum_enabled = off);
insert into shipments select g, g % 70 from generate_series(1, 1000) g;
create index shipments_weight_idx on shipments (seed_guard(weight));
analyze shipments;

create table jobs (id serial primary key, name text) with (autovacuum_enabled = off);
insert into jobs (name) values ('a'), ('b');
analyze jobs;
`;

/**
 * orders: analyzed; orders_customer_idx used on the primary, orders_status_idx unused.
 * events: never analyzed (stale statistics); events_kind_idx used only on the replica.
 * accounts: accounts_email_key backs a unique constraint; accounts_nickname_key is the
 *   invalid index left by a failed CREATE UNIQUE INDEX CONCURRENTLY (duplicates removed since).
 * ledger: 45 000 dead tuples (bloat), statistics current.
 * accounts: 2000 rows modified since its analyze (stale statistics).
 * audit_log: audit_log_pkey ~90 % bloated (vacuumed, not reindexed); ledger_pkey too.
 * shipments: shipments_weight_idx_ccnew, the invalid leftover of a failed REINDEX CONCURRENTLY.
 * jobs: a session (opsctl) idle in a transaction that wrote to it; a superuser one too.
 */
export async function seedDatabase(): Promise<Seeded> {
  const p = pgPeers();
  const db = `dbm_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
  const root = postgres(p.adminUrl, { max: 1, onnotice: () => {} });
  await root.unsafe(`create database ${db} owner opsctl`);
  // Sessions of other roles (the superuser one below) are visible only with pg_read_all_stats.
  await root.unsafe("grant pg_read_all_stats to opsctl");
  await root.end();
  const admin = postgres(withDb(p.adminUrl, db), { max: 2, onnotice: () => {} });
  const owner = postgres(withDb(p.url, db), { max: 1, onnotice: () => {} });
  // One statement per transaction: statistics counters are reported at commit, and
  // "analyze" must come after the rows it is meant to count.
  // Counters are flushed at most once a second: force it before each analyze, or the
  // rows counted after it would show as modified since.
  for (const stmt of SEED.split(";\n")
    .map((x) => x.trim())
    .filter((x) => x)) {
    if (stmt.startsWith("analyze")) await owner`select pg_stat_force_next_flush()`;
    await owner.unsafe(stmt);
  }
  await owner.unsafe("vacuum audit_log");
  await owner`select pg_stat_force_next_flush()`;
  await owner.unsafe("analyze audit_log");
  // A failed CREATE INDEX CONCURRENTLY leaves its index behind, invalid.
  await owner.unsafe("create unique index concurrently accounts_nickname_key on accounts (nickname)").catch(() => {});
  await owner.unsafe("update accounts set nickname = 'nick-' || id");
  // A failed REINDEX CONCURRENTLY leaves <name>_ccnew behind, invalid.
  await owner.unsafe(
    "create or replace function seed_guard(v int) returns int language plpgsql immutable as $$ begin raise exception 'seeded failure'; end $$",
  );
  await owner.unsafe("reindex index concurrently shipments_weight_idx").catch(() => {});
  await owner.unsafe("create or replace function seed_guard(v int) returns int language plpgsql immutable as $$ begin return v; end $$");
  // Index usage: on the primary and (below) on the replica, each on a session that then
  // ends, which flushes its statistics.
  await owner.unsafe("set enable_seqscan = off; select count(*) from orders where customer_id = 7; select count(*) from orders where customer_id = 8").simple();
  await owner.end();
  await waitForReplay(p, db);
  const replica = postgres(withDb(p.replicaUrl, db), { max: 1, onnotice: () => {} });
  await replica.unsafe("set enable_seqscan = off; select count(*) from events where kind = 'kind-3'").simple();
  await replica.end();

  const idleSql = postgres(withDb(p.url, db), { max: 1, onnotice: () => {}, connection: { application_name: "seed-idle" } });
  const idleConn = await idleSql.reserve();
  await idleConn.unsafe("begin");
  await idleConn.unsafe("insert into jobs (name) values ('held')");
  const superSql = postgres(withDb(p.adminUrl, db), { max: 1, onnotice: () => {}, connection: { application_name: "seed-idle-super" } });
  const superConn = await superSql.reserve();
  await superConn.unsafe("begin");
  await superConn.unsafe("select count(*) from jobs");
  const [idle] = await admin<{ pid: number; backendStart: Date; xactStart: Date }[]>`
    select pid, backend_start as "backendStart", xact_start as "xactStart" from pg_stat_activity where application_name = 'seed-idle' and datname = ${db}`;
  const [idleSuper] = await admin<{ pid: number }[]>`select pid from pg_stat_activity where application_name = 'seed-idle-super' and datname = ${db}`;
  return {
    db,
    dsn: withDb(p.url, db),
    replicaDsn: withDb(p.replicaUrl, db),
    admin,
    idle: { pid: idle?.pid as number, backendStart: idle?.backendStart.toISOString() as string, xactStart: idle?.xactStart.toISOString() as string },
    idleSuper: { pid: idleSuper?.pid as number },
    async close() {
      // Dropping with (force) ends every session first, so the clients below close at once.
      const r = postgres(p.adminUrl, { max: 1, onnotice: () => {} });
      await r.unsafe(`drop database if exists ${db} with (force)`).catch(() => {});
      await r.end();
      await Promise.all([idleSql, superSql, admin].map((c) => c.end({ timeout: 0 }).catch(() => {})));
    },
  };
}

/** Waits until the replica has replayed everything the primary has written so far. */
export async function waitForReplay(p: PgPeers, db?: string): Promise<void> {
  const primary = postgres(p.adminUrl, { max: 1, onnotice: () => {} });
  const replica = postgres(p.replicaAdminUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ lsn }] = (await primary`select pg_current_wal_lsn()::text as lsn`) as unknown as [{ lsn: string }];
    for (let i = 0; i < 200; i++) {
      const [row] = await replica<{ ok: boolean }[]>`select pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn as ok`;
      if (row?.ok && (!db || (await replica`select 1 from pg_database where datname = ${db}`).length)) return;
      await Bun.sleep(50);
    }
    throw new Error(`replica did not replay ${lsn} within 10 s`);
  } finally {
    await primary.end();
    await replica.end();
  }
}

/**
 * Everything a maintenance statement would change, read as superuser after clearing the
 * statistics snapshot: relations and their storage, index validity, planner statistics,
 * the cumulative counters and the idle sessions. Two equal snapshots = nothing changed.
 */
export async function catalogSnapshot(s: Seeded): Promise<unknown> {
  // The binary's sessions flush their counters when they end: give them a moment.
  await Bun.sleep(300);
  await s.admin`select pg_stat_clear_snapshot()`;
  const rels = await s.admin`
    select c.relname, c.relkind, c.relfilenode::int, c.relpages, c.reltuples::float8, i.indisvalid
    from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_index i on i.indexrelid = c.oid
    where n.nspname = 'public' order by c.relname`;
  const tables = await s.admin`
    select relname, n_live_tup::int, n_dead_tup::int, n_mod_since_analyze::int, last_analyze, last_vacuum, vacuum_count::int, analyze_count::int
    from pg_stat_user_tables order by relname`;
  const idx = await s.admin`select indexrelname, idx_scan::int from pg_stat_user_indexes order by indexrelname`;
  const stats = await s.admin`select tablename, count(*)::int as n from pg_stats where schemaname = 'public' group by tablename order by tablename`;
  const sessions = await s.admin`
    select pid, state, xact_start from pg_stat_activity where datname = current_database() and application_name like 'seed-%' order by pid`;
  return JSON.parse(JSON.stringify({ rels, tables, idx, stats, sessions }));
}
