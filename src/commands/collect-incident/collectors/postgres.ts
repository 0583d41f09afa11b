import { type PgEvidencePort, pgErrorClass, type Row } from "../../../providers/postgres/evidence.ts";
import type { Collector, PlannedRead, ProbeResult } from "../collect.ts";

export interface PostgresCollectorOptions {
  /** Opened on first use, so a dry run that only plans connects once, for the probe. */
  connect: () => Promise<PgEvidencePort>;
  /** Where (host/database, no password) for the plan and manifest. */
  target: string;
  /** Transactions open longer than this are "long" (ms). */
  longTransactionMs: number;
}

// pg_stat_activity's query text can hold literals (passwords in ALTER ROLE): it goes
// through the same redaction as everything else, and is cut at 4 KiB per backend.
const QUERIES: { id: string; file: string; what: string; sql: string; params?: (o: PostgresCollectorOptions) => unknown[]; estimate: number }[] = [
  {
    id: "activity",
    file: "postgres/pg_stat_activity.jsonl",
    what: "pg_stat_activity (every backend, query text cut at 4 KiB)",
    sql: `select pid, datname, usename, application_name, client_addr::text as client_addr, backend_type, state,
            wait_event_type, wait_event, backend_start, xact_start, query_start, state_change,
            (now() - xact_start)::text as xact_age, backend_xid::text as backend_xid, backend_xmin::text as backend_xmin,
            left(query, 4096) as query
          from pg_stat_activity order by pid`,
    estimate: 50 * 1500,
  },
  {
    id: "locks",
    file: "postgres/pg_locks.jsonl",
    what: "pg_locks (all locks, granted and waiting)",
    sql: `select l.pid, l.locktype, l.database, l.relation::regclass::text as relation, l.page, l.tuple,
            l.transactionid::text as transactionid, l.virtualxid, l.mode, l.granted, l.fastpath, l.waitstart
          from pg_locks l order by l.granted, l.pid`,
    estimate: 200 * 250,
  },
  {
    id: "blocking",
    file: "postgres/blocking.jsonl",
    what: "blocked backends with pg_blocking_pids",
    sql: `select a.pid, pg_blocking_pids(a.pid) as blocked_by, a.usename, a.state, a.wait_event_type, a.wait_event,
            (now() - a.query_start)::text as waiting_for, left(a.query, 1024) as query
          from pg_stat_activity a where cardinality(pg_blocking_pids(a.pid)) > 0 order by a.pid`,
    estimate: 10 * 600,
  },
  {
    id: "replication",
    file: "postgres/replication.jsonl",
    what: "pg_stat_replication, pg_replication_slots, recovery state",
    sql: `select 'recovery' as kind, to_jsonb(r) as row from (select pg_is_in_recovery() as in_recovery,
              case when pg_is_in_recovery() then pg_last_wal_receive_lsn()::text end as receive_lsn,
              case when pg_is_in_recovery() then pg_last_wal_replay_lsn()::text end as replay_lsn,
              case when pg_is_in_recovery() then pg_last_xact_replay_timestamp() end as last_replay) r
          union all select 'sender', to_jsonb(s) from pg_stat_replication s
          union all select 'slot', to_jsonb(sl) from pg_replication_slots sl`,
    estimate: 4000,
  },
  {
    id: "long-transactions",
    file: "postgres/long-transactions.jsonl",
    what: "transactions open longer than the threshold",
    sql: `select pid, usename, application_name, state, xact_start, (now() - xact_start)::text as xact_age, left(query, 1024) as query
          from pg_stat_activity where xact_start < now() - make_interval(secs => $1) and pid <> pg_backend_pid() order by xact_start`,
    params: (o) => [o.longTransactionMs / 1000],
    estimate: 10 * 600,
  },
];

export function createPostgresCollector(o: PostgresCollectorOptions): Collector {
  let port: Promise<PgEvidencePort> | undefined;
  const conn = () => {
    port ??= o.connect();
    return port;
  };
  return {
    name: "postgres",
    async plan() {
      return QUERIES.map(
        (q): PlannedRead => ({ id: `postgres:${q.id}`, collector: "postgres", call: q.what, target: o.target, bound: "snapshot", estimatedBytes: q.estimate }),
      );
    },
    async probe() {
      const out: ProbeResult[] = [];
      try {
        const id = await (await conn()).identity();
        out.push({ collector: "postgres", name: `connect to ${o.target}`, status: "passed", detail: `as role ${id.user} (server ${id.version})` });
      } catch (e) {
        port = undefined;
        const c = pgErrorClass(e);
        if (c.class !== "auth") throw e;
        out.push({ collector: "postgres", name: `connect to ${o.target}`, status: "failed", detail: `${c.code}: ${c.message}` });
      }
      return out;
    },
    async identity() {
      const id = await (await conn()).identity();
      return `${id.user}@${id.database}`;
    },
    async collect(sink) {
      let p: PgEvidencePort;
      try {
        p = await conn();
      } catch (e) {
        sink.fail(`connect to ${o.target}`, e, pgErrorClass);
        return;
      }
      try {
        for (const q of QUERIES) {
          sink.checkAborted();
          let rows: Row[];
          try {
            rows = await p.read(q.sql, q.params?.(o) ?? []);
          } catch (e) {
            sink.fail(q.what, e, pgErrorClass);
            continue;
          }
          await sink.jsonl(q.file, `postgres ${q.what}`, q.id === "replication" ? rows.map((r) => ({ kind: r.kind, ...(r.row as Row) })) : rows);
          if (q.id === "blocking") await sink.json("postgres/blocking-chains.json", "postgres derived from pg_blocking_pids", blockingChains(rows));
        }
      } finally {
        await p.close().catch(() => {});
      }
    },
  };
}

/**
 * Chains from the root blocker (blocks others, waits on nobody) to each waiter, so a
 * reviewer sees "pid 101 blocks 102, which blocks 103" without joining pg_locks by hand.
 */
export function blockingChains(rows: Row[]): { root: number; chain: number[] }[] {
  const blockedBy = new Map<number, number[]>();
  for (const r of rows) blockedBy.set(Number(r.pid), ((r.blocked_by as unknown[]) ?? []).map(Number));
  const chains: { root: number; chain: number[] }[] = [];
  for (const pid of [...blockedBy.keys()].sort((a, b) => a - b)) {
    const chain = [pid];
    const seen = new Set(chain);
    let cur = pid;
    for (;;) {
      const next = blockedBy.get(cur)?.[0];
      if (next === undefined || seen.has(next)) break;
      chain.unshift(next);
      seen.add(next);
      cur = next;
    }
    chains.push({ root: chain[0] as number, chain });
  }
  return chains;
}
