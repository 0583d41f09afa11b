// Read-only PostgreSQL reads for incident evidence. Every statement runs in its own
// READ ONLY transaction: the server itself refuses a write, whatever the SQL says, and
// a failed read (e.g. a view this role may not select) does not spoil the next one.

export type Row = Record<string, unknown>;

export interface PgEvidencePort {
  /** current_user, database, server version: who the collector reads as. */
  identity(): Promise<{ user: string; database: string; version: string }>;
  /** Runs one read-only query; `params` are bound, never interpolated. */
  read(sql: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export async function createPgEvidence(dsn: string, o: { connectTimeoutSeconds: number; statementTimeoutMs: number }): Promise<PgEvidencePort> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(dsn, {
    max: 1,
    idle_timeout: 0,
    connect_timeout: o.connectTimeoutSeconds,
    onnotice: () => {},
    // A collector must not hang on a busy server during an incident.
    connection: { statement_timeout: o.statementTimeoutMs, application_name: "opsctl collect-incident" },
    // Raw values stay strings (bigint, numeric, lsn): the bundle records what the server said.
    types: {},
  });
  const read = async (text: string, params: unknown[] = []): Promise<Row[]> => {
    const rows = await sql.begin("read only", (tx) => tx.unsafe(text, params as never[]));
    return [...(rows as unknown as Row[])];
  };
  return {
    async identity() {
      const [r] = await read("select current_user as user, current_database() as database, current_setting('server_version') as version");
      return { user: String(r?.user ?? ""), database: String(r?.database ?? ""), version: String(r?.version ?? "") };
    },
    read,
    close: () => sql.end({ timeout: 2 }),
  };
}

/** SQLSTATEs and socket codes → the run's error classes. */
export function pgErrorClass(e: unknown): { class: "remote" | "auth" | "validation" | "internal"; code: string; message: string } {
  const err = e as { code?: string; message?: string; errno?: string };
  const code = String(err.code ?? err.errno ?? "error");
  const message = String(err.message ?? e).split("\n")[0] ?? code;
  // 42501 insufficient_privilege; 28000 invalid authorization (no pg_hba entry, CONNECT revoked)
  if (code === "42501" || code === "28000") return { class: "auth", code, message };
  // 28P01 wrong password: the credentials were rejected, like an unreachable server nothing was read.
  if (code === "28P01" || /^(ECONN|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|CONNECT_TIMEOUT|CONNECTION_)/.test(code) || code.startsWith("08") || code === "57014") {
    return { class: "remote", code, message };
  }
  return { class: "validation", code, message };
}
