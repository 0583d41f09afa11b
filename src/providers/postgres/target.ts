import { OpsError } from "../../core/errors.ts";

/** Where a DSN points, for scope and messages: host, port and database, never the user or password. */
export interface PgTarget {
  host: string;
  port: number;
  database: string;
}

/** Parses a postgres:// URL without keeping its credentials; undefined when it is not one. */
export function pgTarget(dsn: string): PgTarget | undefined {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return undefined;
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") return undefined;
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || decodeURIComponent(url.username) || "postgres";
  return { host: url.hostname || "localhost", port: url.port ? Number(url.port) : 5432, database };
}

export function describeTarget(t: PgTarget): string {
  return `${t.host}:${t.port}/${t.database}`;
}

/** `"schema"."name"`: identifiers are always quoted, so a name is never read as SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** SQLSTATEs the maintenance code reacts to (PostgreSQL Appendix A). */
export const SQLSTATE = {
  lockNotAvailable: "55P03",
  queryCanceled: "57014",
  invalidPassword: "28P01",
  invalidAuthorization: "28000",
  insufficientPrivilege: "42501",
  undefinedObject: "42704",
  undefinedTable: "42P01",
  dependentObjects: "2BP01",
} as const;

export interface PgErrorInfo {
  /** SQLSTATE, or a Node errno such as ECONNREFUSED. */
  code: string;
  message: string;
}

/** The code and first line of a `postgres` client error; never its connection options (they hold the password). */
export function pgErrorInfo(e: unknown): PgErrorInfo {
  const err = e as { code?: unknown; message?: unknown; errno?: unknown };
  const code = typeof err?.code === "string" ? err.code : typeof err?.errno === "string" ? err.errno : "error";
  const message = String(err?.message ?? e).split("\n")[0] ?? "";
  return { code, message: message.slice(0, 300) };
}

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

export function isConnectFailure(e: unknown): boolean {
  const { code } = pgErrorInfo(e);
  return CONNECT_CODES.has(code) || code.startsWith("08") || code.startsWith("28") || code === "3D000";
}

/**
 * A connection that failed or a login that was refused: exit 4 (DESIGN §2), naming the
 * server by host/port/database only. The message of a refused login names the user
 * (PostgreSQL's own text) and never the password.
 */
export function connectFailure(role: string, target: PgTarget, e: unknown): OpsError {
  const { code, message } = pgErrorInfo(e);
  const what = code === SQLSTATE.invalidPassword || code === SQLSTATE.invalidAuthorization ? "credentials rejected" : "unreachable";
  return new OpsError("remote", [{ message: `PostgreSQL ${role} ${describeTarget(target)} ${what}: ${message} (${code})` }], { cause: e });
}
