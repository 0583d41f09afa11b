import type { Connection } from "./pg-tools.ts";

// The scratch server a dump is restored into. Each scratch database carries a marker
// in its comment (purpose, environment, plan digest, expiry), so a later run can find
// and remove what an interrupted or crashed run left behind.

export const MARKER_PREFIX = "opsctl:verify-backup ";

export interface ScratchMarker {
  purpose: "verify-backup";
  environment: string;
  planDigest: string;
  source: string;
  expiresAt: string;
}

export interface RoleInfo {
  user: string;
  createdb: boolean;
  superuser: boolean;
  serverVersion: string;
  serverMajor: number;
}

export interface ScratchServer {
  readonly connection: Connection;
  role(): Promise<RoleInfo>;
  createDatabase(name: string, marker: ScratchMarker): Promise<void>;
  dropDatabase(name: string): Promise<"dropped" | "not-found">;
  /** Runs one probe in a read-only transaction; the first column of the first row (undefined if no rows). */
  probe(database: string, sql: string, timeoutMs: number): Promise<unknown>;
  leftovers(): Promise<{ name: string; marker: ScratchMarker }[]>;
  close(): Promise<void>;
}

/** postgres://user:password@host:port/db?sslmode=… → the parts libpq tools get through their environment. */
export function parseDsn(dsn: string): Connection & { database: string } {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    throw new Error("the scratch DSN is not a postgres:// URL");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw new Error(`the scratch DSN must start with postgres:// (not ${u.protocol}//)`);
  return {
    host: decodeURIComponent(u.hostname) || "localhost",
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || "postgres",
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.searchParams.get("sslmode") ? { sslmode: u.searchParams.get("sslmode") as string } : {}),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres",
  };
}

/** Scratch database names are opsctl's own: lower case, no quoting surprises. */
export function isScratchName(name: string): boolean {
  return /^opsctl_verify_[a-z0-9_]{1,48}$/.test(name);
}

export async function createScratchServer(dsn: string, connectTimeoutSeconds: number): Promise<ScratchServer> {
  const { default: postgres } = await import("postgres");
  const conn = parseDsn(dsn);
  const opts = { max: 1, idle_timeout: 0, connect_timeout: connectTimeoutSeconds, onnotice: () => {} };
  const admin = postgres(dsn, opts);
  const ident = (name: string) => {
    if (!isScratchName(name)) throw new Error(`refusing to touch database '${name}': not an opsctl scratch name`);
    return `"${name}"`;
  };
  const dbUrl = (database: string) => {
    const u = new URL(dsn);
    u.pathname = `/${database}`;
    return u.toString();
  };

  return {
    connection: conn,
    async role() {
      const [r] = await admin<{ user: string; createdb: boolean; superuser: boolean; version: string; num: string }[]>`
        select current_user as user, r.rolcreatedb as createdb, r.rolsuper as superuser,
               current_setting('server_version') as version, current_setting('server_version_num') as num
        from pg_roles r where r.rolname = current_user`;
      if (!r) throw new Error("cannot read the connecting role from pg_roles");
      return { user: r.user, createdb: r.createdb, superuser: r.superuser, serverVersion: r.version, serverMajor: Math.floor(Number(r.num) / 10_000) };
    },
    async createDatabase(name, marker) {
      await admin.unsafe(`create database ${ident(name)}`);
      await admin.unsafe(`comment on database ${ident(name)} is ${literal(MARKER_PREFIX + JSON.stringify(marker))}`);
    },
    async dropDatabase(name) {
      const [row] = await admin<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${name}`;
      if (!row?.n) return "not-found";
      // FORCE (PostgreSQL 13+) ends sessions still connected, e.g. a pg_restore killed mid-run.
      await admin.unsafe(`drop database if exists ${ident(name)} with (force)`);
      return "dropped";
    },
    probe: (database, sql, timeoutMs) => probeOnce(dbUrl(database), sql, timeoutMs),
    async leftovers() {
      const rows = await admin<{ name: string; comment: string | null }[]>`
        select datname as name, shobj_description(oid, 'pg_database') as comment from pg_database where datname like 'opsctl\\_verify\\_%'`;
      const out: { name: string; marker: ScratchMarker }[] = [];
      for (const r of rows) {
        if (!r.comment?.startsWith(MARKER_PREFIX)) continue;
        try {
          const marker = JSON.parse(r.comment.slice(MARKER_PREFIX.length)) as ScratchMarker;
          if (marker.purpose === "verify-backup") out.push({ name: r.name, marker });
        } catch {
          // a comment someone else wrote: not ours to remove
        }
      }
      return out;
    },
    async close() {
      await admin.end({ timeout: 2 }).catch(() => {});
    },
  };
}

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export type Target = string | { host: string; port: number; user: string; database: string };

/** One probe in a read-only transaction on its own connection: the first column of the first row. */
export async function probeOnce(target: Target, sql: string, timeoutMs: number): Promise<unknown> {
  const { default: postgres } = await import("postgres");
  const opts = { max: 1, idle_timeout: 0, connect_timeout: 10, onnotice: () => {} };
  const db = typeof target === "string" ? postgres(target, opts) : postgres({ ...target, ...opts });
  try {
    return await db.begin("read only", async (tx) => {
      await tx.unsafe(`set local statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
      const rows = await tx.unsafe(sql);
      const first = rows[0] as Record<string, unknown> | undefined;
      return first ? Object.values(first)[0] : undefined;
    });
  } finally {
    await db.end({ timeout: 2 }).catch(() => {});
  }
}
