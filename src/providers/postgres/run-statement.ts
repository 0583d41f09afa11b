import type { Sql } from "postgres";
import { OpsError } from "../../core/errors.ts";
import { invalidIndexes, lockHolders } from "./catalog.ts";
import { pgErrorInfo, qualified, SQLSTATE } from "./target.ts";

export interface Timeouts {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

export interface RetryPolicy {
  /** Tries in all, the first included (1 = no retry). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface Statement {
  sql: string;
  /** The table whose lock the statement takes: named in lock-timeout messages, one statement per table at a time. */
  tableOid: number;
  /** CREATE/REINDEX/DROP INDEX CONCURRENTLY: a failure can leave an invalid index behind, which is cleaned up. */
  concurrently: boolean;
}

export interface RunOptions extends Timeouts {
  retry: RetryPolicy;
  signal: AbortSignal;
  log: (message: string) => void;
  /** Deterministic jitter in tests; Math.random otherwise. */
  random?: () => number;
}

export interface RunOutcome {
  attempts: number;
}

/**
 * Runs one maintenance statement with lock_timeout and statement_timeout set on its
 * session, so it never queues unbounded behind (or in front of) other sessions' locks.
 * A lock timeout is retried with exponential backoff and jitter a bounded number of
 * times; any failure of a CONCURRENTLY statement drops the invalid index it left; an
 * interrupt cancels the running statement with pg_cancel_backend from a second session.
 */
export async function runStatement(sql: Sql, control: () => Promise<Sql>, stmt: Statement, o: RunOptions): Promise<RunOutcome> {
  const random = o.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    const before = stmt.concurrently ? await invalidIndexes(sql, stmt.tableOid) : [];
    try {
      await once(sql, control, stmt, o);
      return { attempts: attempt };
    } catch (e) {
      const info = pgErrorInfo(e);
      const cleanup = stmt.concurrently ? await dropLeftovers(sql, control, stmt, before, o) : "";
      const interrupted = o.signal.aborted;
      if (info.code === SQLSTATE.lockNotAvailable && attempt < o.retry.attempts && !interrupted) {
        const delay = Math.min(o.retry.maxDelayMs, o.retry.baseDelayMs * 2 ** (attempt - 1)) * (0.5 + random() / 2);
        o.log(`lock_timeout (${o.lockTimeoutMs} ms) on attempt ${attempt}/${o.retry.attempts} for: ${stmt.sql}; retrying in ${Math.round(delay)} ms${cleanup}`);
        if (await sleep(delay, o.signal)) continue;
      }
      throw await failure(sql, stmt, info, attempt, o, interrupted || o.signal.aborted, cleanup, e);
    }
  }
}

async function once(sql: Sql, control: () => Promise<Sql>, stmt: Statement, o: RunOptions): Promise<void> {
  const conn = await sql.reserve();
  try {
    const [row] = await conn<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const pid = row?.pid as number;
    await conn.unsafe(`set lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs))}`);
    await conn.unsafe(`set statement_timeout = ${Math.max(1, Math.round(o.statementTimeoutMs))}`);
    if (o.signal.aborted) throw Object.assign(new Error("interrupted before the statement started"), { code: SQLSTATE.queryCanceled });
    // A second session cancels the statement: the client's own connection is busy waiting for it.
    const cancel = () => {
      o.log(`interrupted: cancelling backend ${pid} (pg_cancel_backend)`);
      void control()
        .then((c) => c`select pg_cancel_backend(${pid})`)
        .catch((err) => o.log(`pg_cancel_backend(${pid}) failed: ${pgErrorInfo(err).message}`));
    };
    o.signal.addEventListener("abort", cancel, { once: true });
    try {
      await conn.unsafe(stmt.sql);
    } finally {
      o.signal.removeEventListener("abort", cancel);
    }
  } finally {
    // The session goes back to the pool: leave it as it was found.
    await conn.unsafe("reset lock_timeout").catch(() => {});
    await conn.unsafe("reset statement_timeout").catch(() => {});
    conn.release();
  }
}

/** Drops the invalid indexes a failed CONCURRENTLY statement left on its table; says what it did. */
async function dropLeftovers(sql: Sql, control: () => Promise<Sql>, stmt: Statement, before: { oid: number }[], o: RunOptions): Promise<string> {
  const known = new Set(before.map((i) => i.oid));
  let left: { oid: number; schema: string; name: string }[];
  try {
    left = (await invalidIndexes(sql, stmt.tableOid)).filter((i) => !known.has(i.oid));
  } catch (e) {
    return `; could not look for an invalid index it may have left: ${pgErrorInfo(e).message}`;
  }
  const notes: string[] = [];
  for (const ix of left) {
    const name = qualified(ix.schema, ix.name);
    const drop: Statement = { sql: `DROP INDEX CONCURRENTLY IF EXISTS ${name}`, tableOid: stmt.tableOid, concurrently: false };
    try {
      // Not cancelled by the interrupt: leaving the invalid index behind is what this prevents.
      await once(sql, control, drop, { ...o, signal: new AbortController().signal });
      notes.push(`it left invalid index ${name}, which was dropped`);
      o.log(`dropped invalid index ${name} left by the failed statement`);
    } catch (e) {
      notes.push(`it left invalid index ${name}; dropping it failed (${pgErrorInfo(e).message}): drop it with ${drop.sql}`);
    }
  }
  return notes.length ? `; ${notes.join("; ")}` : "";
}

async function failure(
  sql: Sql,
  stmt: Statement,
  info: { code: string; message: string },
  attempt: number,
  o: RunOptions,
  interrupted: boolean,
  cleanup: string,
  cause: unknown,
) {
  if (interrupted) return new OpsError("remote", `interrupted: ${stmt.sql} was cancelled (${info.message})${cleanup}`, { cause });
  if (info.code === SQLSTATE.lockNotAvailable) {
    let holders = "";
    try {
      const list = await lockHolders(sql, stmt.tableOid);
      if (list.length) holders = `; holding locks on the table: ${list.map((h) => `pid ${h.pid} (${h.user ?? "?"}, ${h.state ?? "?"}, ${h.mode})`).join(", ")}`;
    } catch {
      // naming the holders is a courtesy; the failure stands without it
    }
    return new OpsError(
      "remote",
      `lock not available within lock_timeout ${o.lockTimeoutMs} ms after ${attempt} attempt(s): ${stmt.sql}${holders}; nothing was changed by it${cleanup}`,
      { cause },
    );
  }
  if (info.code === SQLSTATE.queryCanceled) {
    return new OpsError("remote", `statement_timeout ${o.statementTimeoutMs} ms reached: ${stmt.sql} was cancelled${cleanup}`, { cause });
  }
  const exit = info.code.startsWith("42") || info.code.startsWith("2B") ? "validation" : "remote";
  return new OpsError(exit, `${stmt.sql} failed: ${info.message} (${info.code})${cleanup}`, { cause });
}

/** Waits; false when interrupted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}
