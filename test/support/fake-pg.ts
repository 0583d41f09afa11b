import type { IndexRow, PgMaintenancePort, ProbeResult, ServerInfo, SessionRow, TableRow } from "../../src/providers/postgres/maintenance.ts";
import { pgTarget } from "../../src/providers/postgres/target.ts";
import { index, session, table } from "./pg-rows.ts";

/**
 * FAKE PostgreSQL maintenance port, in memory, for golden views only (fixed oids, pids
 * and times that a real server cannot give). Behaviour is tested against the real
 * primary and replica in test/integration and test/e2e.
 */
export class FakePg implements PgMaintenancePort {
  readonly target;
  readonly ran: string[] = [];
  readonly probes: string[] = [];
  /** Statements (by prefix) the server refuses in a probe. */
  readonly refuse = new Map<string, ProbeResult>();
  /** Statements (by prefix) that fail when run. */
  readonly failRun = new Map<string, Error>();

  constructor(
    dsn: string,
    public info_: ServerInfo,
    public tables_: TableRow[],
    public indexes_: IndexRow[],
    public sessions_: SessionRow[],
  ) {
    this.target = pgTarget(dsn) ?? { host: "?", port: 0, database: "?" };
  }

  async info() {
    return this.info_;
  }
  async tables(f: { schema?: string; table?: string }, oid?: number) {
    return this.tables_.filter((t) => (oid === undefined || t.oid === oid) && (!f.table || t.name === f.table) && (!f.schema || t.schema === f.schema));
  }
  async indexes(f: { schema?: string; table?: string }, oid?: number) {
    return this.indexes_.filter((i) => (oid === undefined || i.oid === oid) && (!f.table || i.table === f.table) && (!f.schema || i.schema === f.schema));
  }
  async indexByName(schema: string, name: string) {
    return this.indexes_.find((i) => i.schema === schema && i.name === name);
  }
  async sessions(pid?: number) {
    return this.sessions_.filter((s) => (pid === undefined ? (s.state ?? "").startsWith("idle in transaction") : s.pid === pid));
  }
  async probeInTransaction(statements: string[]): Promise<ProbeResult> {
    this.probes.push(...statements);
    for (const s of statements) for (const [prefix, r] of this.refuse) if (s.startsWith(prefix)) return r;
    return { ok: true };
  }
  async run(stmt: { sql: string }) {
    for (const [prefix, e] of this.failRun) if (stmt.sql.startsWith(prefix)) throw e;
    this.ran.push(stmt.sql);
    return { attempts: 1 };
  }
  async terminate(s: { pid: number }) {
    this.ran.push(`pg_terminate_backend(${s.pid})`);
    this.sessions_ = this.sessions_.filter((x) => x.pid !== s.pid);
    return "terminated" as const;
  }
  async close() {}
}

export const FAKE_INFO: ServerInfo = {
  version: "15.18",
  database: "app",
  currentUser: "maint",
  superuser: false,
  databaseOwner: true,
  inRecovery: false,
  observedSince: "2026-10-01T00:00:00.000Z",
  freezeMaxAge: 200_000_000,
  trackCommitTimestamp: false,
  readAllStats: true,
  signalBackend: true,
  backendPid: 4242,
};

/** The same shapes as the seeded test database (test/support/pg-seed.ts), with fixed numbers. */
export function fakeFixture(dsn = "postgres://maint@db.internal:5432/app", replica = false): FakePg {
  const info = replica ? { ...FAKE_INFO, inRecovery: true, observedSince: "2026-10-02T00:00:00.000Z" } : FAKE_INFO;
  return new FakePg(
    dsn,
    info,
    [
      table({ name: "events", oid: 16_410, lastAnalyze: null, liveTuples: 10_000, reltuples: -1, modsSinceAnalyze: 10_000 }),
      table({ name: "ledger", oid: 16_420, liveTuples: 5000, deadTuples: 45_000, reltuples: 5000 }),
      table({ name: "orders", oid: 16_400, liveTuples: 20_000, reltuples: 20_000, modsSinceAnalyze: 12 }),
      table({ name: "audit_log", oid: 16_430, liveTuples: 10_000, reltuples: 10_000 }),
      table({ name: "shipments", oid: 16_440 }),
    ],
    [
      index({ name: "orders_status_idx", oid: 16_501, sizeBytes: 155_648, pages: 19, scans: 0 }),
      index({ name: "orders_customer_idx", oid: 16_502, scans: replica ? 0 : 2 }),
      index({ name: "orders_pkey", oid: 16_503, primary: true, unique: true, constraints: ["orders_pkey (primary key)"] }),
      index({ name: "events_kind_idx", oid: 16_511, table: "events", tableOid: 16_410, scans: replica ? 1 : 0 }),
      index({
        name: "audit_log_pkey",
        oid: 16_521,
        table: "audit_log",
        tableOid: 16_430,
        sizeBytes: 2_260_992,
        pages: 276,
        tuples: 10_000,
        constraints: ["audit_log_pkey (primary key)"],
        unique: true,
        primary: true,
      }),
      index({ name: "shipments_weight_idx", oid: 16_531, table: "shipments", tableOid: 16_440, hasExpressions: true }),
      index({ name: "shipments_weight_idx_ccnew", oid: 16_532, table: "shipments", tableOid: 16_440, hasExpressions: true, valid: false, sizeBytes: 0 }),
    ],
    [
      session({ pid: 31_337, user: "billing", application: "billing-worker", idleSeconds: 5400 }),
      session({ pid: 31_338, user: "postgres", superuser: true, application: "psql", idleSeconds: 7200, lastCommand: "SELECT" }),
    ],
  );
}
