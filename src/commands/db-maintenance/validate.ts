import type { Action, Check } from "../../core/plan.ts";
import type { PgMaintenancePort, ProbeResult, Timeouts } from "../../providers/postgres/maintenance.ts";
import { qualified } from "../../providers/postgres/target.ts";

/**
 * Control-plane validation per action (DESIGN §1), nothing committed:
 * - DROP INDEX may run in a transaction: it is run as `DROP INDEX` (the form without
 *   CONCURRENTLY) inside BEGIN; SET LOCAL lock_timeout; SET LOCAL statement_timeout; …;
 *   ROLLBACK, which proves the privilege, that nothing depends on the index, and that
 *   the table's lock can be had within lock_timeout.
 * - ANALYZE could run in a transaction, but a rolled-back ANALYZE still resets the table's
 *   cumulative statistics (n_mod_since_analyze, last_analyze are not transactional): the
 *   dry run would change what the next plan sees. It is validated like the statements
 *   that cannot run in a transaction (VACUUM, REINDEX … CONCURRENTLY): ownership from
 *   the catalog, and their lock (SHARE UPDATE EXCLUSIVE) taken with LOCK TABLE inside a
 *   rolled-back transaction.
 * - pg_terminate_backend is a signal, never transactional: validated from the catalog
 *   (same role, pg_signal_backend membership, superuser rules).
 * Each check says which of these it was.
 */
export async function validateAction(pg: PgMaintenancePort, a: Action, t: Timeouts): Promise<Check[]> {
  const attrs = a.resource.attributes;
  const op = a.operation as string;
  if (op === "terminate") {
    const [s] = await pg.sessions(Number(attrs.pid));
    if (!s) return [{ name: "session", status: "failed", detail: `pid ${attrs.pid} has ended since it was read` }];
    return [
      {
        name: "privilege (catalog)",
        status: s.canSignal ? "passed" : "failed",
        detail: s.canSignal
          ? `may signal pid ${s.pid} (role ${s.user}): same role, pg_signal_backend or superuser; pg_terminate_backend is not transactional, so it is not tried`
          : `may not signal pid ${s.pid} (role ${s.user}${s.superuser ? ", a superuser" : ""}): needs membership in that role or in pg_signal_backend${s.superuser ? ", and superuser to signal a superuser" : ""}`,
      },
    ];
  }
  const schema = String(attrs.schema);
  const tableOid = Number(a.resource.type === "postgres.table" ? attrs.oid : attrs.tableOid);
  if (op === "delete") {
    const probe = await pg.probeInTransaction([`DROP INDEX ${qualified(schema, String(a.resource.name))}`], t);
    return [
      probeCheck(
        "DROP INDEX (BEGIN … ROLLBACK)",
        probe,
        "the server accepted DROP INDEX (privilege, no dependent constraint, lock granted within lock_timeout) and it was rolled back",
      ),
    ];
  }
  const [table] = await pg.tables({}, tableOid);
  if (!table) return [{ name: "table", status: "failed", detail: `table oid ${tableOid} has been dropped since it was read` }];
  let owned = table.canMaintain;
  let subject = `${table.schema}.${table.name}`;
  if (a.resource.type === "postgres.index") {
    const [ix] = await pg.indexes({}, Number(attrs.oid));
    owned = ix?.canMaintain ?? false;
    subject = `${schema}.${a.resource.name}`;
  }
  const verb = op === "analyze" ? "ANALYZE" : op === "vacuum" ? "VACUUM" : "REINDEX";
  const lock = await pg.probeInTransaction([`LOCK TABLE ${qualified(table.schema, table.name)} IN SHARE UPDATE EXCLUSIVE MODE`], t);
  const why =
    op === "analyze"
      ? "a rolled-back ANALYZE would still reset the statistics counters"
      : `${verb}${op === "reindex" ? " CONCURRENTLY" : ""} cannot run in a transaction`;
  return [
    {
      name: "privilege (catalog)",
      status: owned ? "passed" : "failed",
      detail: owned
        ? `may ${verb} ${subject}: owner (or member of the owning role)${op === "reindex" ? "" : ", database owner"} or superuser; checked in the catalog because ${why}`
        : `may not ${verb} ${subject}: only its owner${op === "reindex" ? "" : ", the database owner"} or a superuser may (owner: ${op === "reindex" ? attrs.owner : table.owner})`,
    },
    probeCheck(
      "lock (BEGIN … ROLLBACK)",
      lock,
      `SHARE UPDATE EXCLUSIVE on ${table.schema}.${table.name} (what ${verb} takes) granted within lock_timeout and rolled back`,
    ),
  ];
}

function probeCheck(name: string, r: ProbeResult, ok: string): Check {
  if (r.ok) return { name, status: "passed", detail: ok };
  return { name, status: "failed", detail: `${r.message} (${r.code})` };
}
