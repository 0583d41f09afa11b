import type { Sql } from "postgres";
import { OpsError } from "../../core/errors.ts";
import type { Phase } from "../../core/providers.ts";
import * as catalog from "./catalog.ts";
import { type RunOptions, type RunOutcome, runStatement, type Statement, type Timeouts } from "./run-statement.ts";
import { connectFailure, describeTarget, isConnectFailure, type PgTarget, pgErrorInfo, pgTarget } from "./target.ts";

export type { Filter, IndexRow, ServerInfo, SessionRow, TableRow } from "./catalog.ts";
export type { RetryPolicy, RunOptions, RunOutcome, Statement, Timeouts } from "./run-statement.ts";

export type ProbeResult = { ok: true } | { ok: false; code: string; message: string };

/** What db-maintenance needs from one PostgreSQL server (the primary or a replica). */
export interface PgMaintenancePort {
  readonly target: PgTarget;
  info(): Promise<catalog.ServerInfo>;
  tables(f: catalog.Filter, oid?: number): Promise<catalog.TableRow[]>;
  indexes(f: catalog.Filter, oid?: number): Promise<catalog.IndexRow[]>;
  indexByName(schema: string, name: string): Promise<catalog.IndexRow | undefined>;
  /** Sessions idle in transaction in this database, or the one session with this pid (any state). */
  sessions(pid?: number): Promise<catalog.SessionRow[]>;
  /**
   * BEGIN; SET LOCAL lock_timeout …; SET LOCAL statement_timeout …; statements; ROLLBACK.
   * The server parses, checks privileges and takes the locks; nothing is committed.
   */
  probeInTransaction(statements: string[], t: Timeouts): Promise<ProbeResult>;
  run(stmt: Statement, o: RunOptions): Promise<RunOutcome>;
  /**
   * pg_terminate_backend of the session with this pid, only while it is still the same
   * backend in the same open transaction (one statement: no window for pid reuse), under
   * the given timeouts; it waits up to the statement timeout for the session to end.
   * "gone" when no such session is left.
   */
  terminate(s: { pid: number; backendStart: string; xactStart: string }, t: Timeouts): Promise<"terminated" | "gone">;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** "primary" or "replica …", for messages. */
  role: string;
  connectTimeoutSeconds: number;
  /** Session defaults for every read, so a catalog query never waits unbounded behind a lock. */
  readTimeouts: Timeouts;
  /** The run's stage: statements that change something are refused before "apply". */
  phase?: () => Phase;
}

const APPLICATION = "opsctl db-maintenance";

/**
 * Connects with the `postgres` client (imported here, lazily) and proves the
 * connection with one query, so a refused login or an unreachable server is exit 4
 * at once, named by host/port/database and never by its DSN.
 */
export async function createPgMaintenance(dsn: string, o: ConnectOptions): Promise<PgMaintenancePort> {
  const target = pgTarget(dsn) ?? { host: "?", port: 0, database: "?" };
  const { default: postgres } = await import("postgres");
  const options = {
    max: 4,
    idle_timeout: 10,
    connect_timeout: o.connectTimeoutSeconds,
    onnotice: () => {},
    connection: {
      application_name: APPLICATION,
      lock_timeout: Math.max(1, Math.round(o.readTimeouts.lockTimeoutMs)),
      statement_timeout: Math.max(1, Math.round(o.readTimeouts.statementTimeoutMs)),
    },
  };
  const sql = postgres(dsn, options);
  const fail = (e: unknown): never => {
    if (isConnectFailure(e)) throw connectFailure(o.role, target, e);
    // A catalog read that timed out (lock_timeout, statement_timeout) or failed: the server's answer, named.
    if (e instanceof Error && !(e instanceof OpsError) && typeof (e as { code?: unknown }).code === "string") {
      const { code, message } = pgErrorInfo(e);
      throw new OpsError("remote", `PostgreSQL ${o.role} ${describeTarget(target)}: ${message} (${code})`, { cause: e });
    }
    throw e;
  };
  try {
    await sql`select 1`;
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    fail(e);
  }
  let controlSql: Sql | undefined;
  const control = async () => {
    controlSql ??= postgres(dsn, { ...options, max: 1 });
    return controlSql;
  };
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      fn(...args).catch(fail);

  const ROLLBACK = Symbol("rollback");
  // Planning and validating are read-only by construction: a bug that tries to change
  // something then fails here instead of changing the database.
  const mutation = (what: string) => {
    const phase = o.phase?.() ?? "apply";
    if (phase !== "apply")
      throw new Error(`postgresql ${what} was refused while ${phase === "plan" ? "planning" : "validating"}: commands may only read before apply`);
  };
  return {
    target,
    info: guard(() => catalog.serverInfo(sql)),
    tables: guard((f, oid) => catalog.tables(sql, f, oid)),
    indexes: guard((f, oid) => catalog.indexes(sql, f, oid)),
    indexByName: guard((schema, name) => catalog.indexByName(sql, schema, name)),
    sessions: guard((pid) => catalog.idleSessions(sql, pid)),
    async probeInTransaction(statements, t) {
      try {
        await sql.begin(async (tx) => {
          await tx.unsafe(`set local lock_timeout = ${Math.max(1, Math.round(t.lockTimeoutMs))}`);
          await tx.unsafe(`set local statement_timeout = ${Math.max(1, Math.round(t.statementTimeoutMs))}`);
          for (const s of statements) await tx.unsafe(s);
          throw ROLLBACK;
        });
        return { ok: false, code: "internal", message: "the probe transaction was not rolled back" };
      } catch (e) {
        if (e === ROLLBACK) return { ok: true };
        if (isConnectFailure(e)) fail(e);
        return { ok: false, ...pgErrorInfo(e) };
      }
    },
    run: async (stmt, ro) => {
      mutation(stmt.sql);
      return runStatement(sql, control, stmt, ro).catch(fail);
    },
    terminate: guard(async (s, t) => {
      mutation(`pg_terminate_backend(${s.pid})`);
      // pg_terminate_backend waits (up to 10 s, within the statement timeout) for the session to end.
      const waitMs = Math.max(1, Math.min(10_000, Math.round(t.statementTimeoutMs) - 100));
      const rows = await sql.begin(async (tx) => {
        await tx.unsafe(`set local lock_timeout = ${Math.max(1, Math.round(t.lockTimeoutMs))}`);
        await tx.unsafe(`set local statement_timeout = ${Math.max(1, Math.round(t.statementTimeoutMs))}`);
        // Timestamps compared at millisecond precision: that is what the plan recorded.
        return tx<{ ok: boolean }[]>`
          select pg_terminate_backend(pid, ${waitMs}) as ok from pg_stat_activity
          where pid = ${s.pid} and date_trunc('milliseconds', backend_start) = ${s.backendStart}::timestamptz
            and date_trunc('milliseconds', xact_start) = ${s.xactStart}::timestamptz and state like 'idle in transaction%'`;
      });
      return rows.length > 0 && rows[0]?.ok === true ? "terminated" : "gone";
    }),
    async close() {
      await Promise.all([sql.end({ timeout: 2 }), controlSql?.end({ timeout: 2 })]);
    },
  };
}
