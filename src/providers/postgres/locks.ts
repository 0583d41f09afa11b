import { OpsError } from "../../core/errors.ts";
import { heldMessage, type Lease, type LockBackend, type LockHolder, lockResource, sleep } from "../../core/lock/types.ts";

const POLL_MS = 250;

/**
 * PostgreSQL advisory locks for shared runners: the lock lives as long as the session
 * that took it, so a killed run frees it by itself. A row in opsctl_locks says who
 * holds it; opsctl_audit keeps a copy of every audit record.
 */
export async function createPostgresLocks(dsn: string, connectTimeoutSeconds: number): Promise<LockBackend> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(dsn, { max: 1, idle_timeout: 0, connect_timeout: connectTimeoutSeconds, onnotice: () => {} });
  try {
    await sql`create table if not exists opsctl_locks (id text primary key, holder jsonb not null, backend_pid int not null, acquired_at timestamptz not null default now())`;
    await sql`create table if not exists opsctl_audit (seq bigserial primary key, at timestamptz not null default now(), record jsonb not null)`;
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw e;
  }

  const holderOf = async (id: string) => {
    const rows = await sql<{ holder: LockHolder; live: boolean }[]>`
      select l.holder, exists(select 1 from pg_stat_activity a where a.pid = l.backend_pid) as live
      from opsctl_locks l where l.id = ${id}`;
    const row = rows[0];
    return row ? { ...row.holder, stale: !row.live } : undefined;
  };

  return {
    name: "postgres",
    async acquire(holder, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await sql<{ ok: boolean }[]>`select pg_try_advisory_lock(hashtextextended(${holder.id}, 0)) as ok`;
        if (row?.ok) {
          await sql`insert into opsctl_locks (id, holder, backend_pid) values (${holder.id}, ${sql.json(holder as never)}, pg_backend_pid())
                    on conflict (id) do update set holder = excluded.holder, backend_pid = excluded.backend_pid, acquired_at = now()`;
          const lease: Lease = {
            async release() {
              await sql`delete from opsctl_locks where id = ${holder.id} and backend_pid = pg_backend_pid()`;
              await sql`select pg_advisory_unlock(hashtextextended(${holder.id}, 0))`;
            },
          };
          return lease;
        }
        if (Date.now() >= deadline) {
          const current = await holderOf(holder.id);
          throw new OpsError("remote", [
            {
              message: current ? heldMessage(current, "postgres") : `lock ${holder.id} is held by another PostgreSQL session`,
              resource: lockResource(holder.id),
            },
          ]);
        }
        await sleep(POLL_MS);
      }
    },
    async list() {
      const rows = await sql<{ holder: LockHolder; live: boolean }[]>`
        select l.holder, exists(select 1 from pg_stat_activity a where a.pid = l.backend_pid) as live from opsctl_locks l order by l.id`;
      return rows.map((r) => ({ ...r.holder, stale: !r.live }));
    },
    async forceRelease(id) {
      // An advisory lock belongs to its session: releasing it by force means ending that session.
      const rows = await sql<{ backend_pid: number }[]>`delete from opsctl_locks where id = ${id} returning backend_pid`;
      for (const r of rows) await sql`select pg_terminate_backend(${r.backend_pid})`;
      return rows.length > 0;
    },
    async appendAudit(record) {
      await sql`insert into opsctl_audit (record) values (${sql.json(record as never)})`;
    },
    async close() {
      await sql.end({ timeout: 2 });
    },
  };
}
