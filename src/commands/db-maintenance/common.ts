import type { Action, Resource, Skipped } from "../../core/plan.ts";
import type { IndexRow, SessionRow, TableRow } from "../../providers/postgres/maintenance.ts";
import { qualified } from "../../providers/postgres/target.ts";

export const TASKS = ["analyze", "vacuum", "reindex", "drop-unused-indexes", "terminate-idle-transactions"] as const;
export type Task = (typeof TASKS)[number];

/** The operations db-maintenance plans; `delete` drops an index (guardrails count it as a deletion). */
export type DbOperation = "analyze" | "vacuum" | "reindex" | "delete" | "terminate";

export interface Timeouts {
  lockTimeout: string;
  statementTimeout: string;
}

export interface Selection {
  actions: Action[];
  skipped: Skipped[];
}

export function tableResource(t: TableRow, database: string): Resource {
  return {
    type: "postgres.table",
    id: `${t.schema}.${t.name}`,
    name: t.name,
    attributes: { database, schema: t.schema, table: t.name, oid: t.oid, owner: t.owner, sizeBytes: t.sizeBytes },
  };
}

export function indexResource(i: IndexRow, database: string): Resource {
  return {
    type: "postgres.index",
    id: `${i.schema}.${i.name}`,
    name: i.name,
    attributes: {
      database,
      schema: i.schema,
      table: i.table,
      oid: i.oid,
      tableOid: i.tableOid,
      owner: i.owner,
      sizeBytes: i.sizeBytes,
      valid: i.valid,
      definition: i.definition,
    },
  };
}

export function sessionResource(s: SessionRow, database: string): Resource {
  return {
    type: "postgres.session",
    id: `pid:${s.pid}`,
    name: s.application || undefined,
    attributes: {
      database,
      pid: s.pid,
      user: s.user,
      application: s.application,
      client: s.client,
      backendStart: s.backendStart,
      xactStart: s.xactStart,
    },
  };
}

/** The exact statement and the timeouts it runs under, as recorded in the plan. */
export function sqlCall(operation: string, statement: string, t: Timeouts, tableOid: number | null, concurrently: boolean): Action["call"] {
  return {
    service: "postgresql",
    operation,
    parameters: { statement, lockTimeout: t.lockTimeout, statementTimeout: t.statementTimeout, tableOid, concurrently },
  };
}

export const tableName = (t: { schema: string; name: string }) => qualified(t.schema, t.name);

export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** `2d 3h`, `5m 12s`: how long, for people. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), "d"],
    [Math.floor((s % 86_400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  if (first < 0) return "0s";
  return parts
    .slice(first, first + 2)
    .filter(([v]) => v > 0)
    .map(([v, u]) => `${v}${u}`)
    .join(" ");
}

export const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

/** Sizes as PostgreSQL writes them: 512kB, 10MB, 1GB (1024-based), or plain bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)?$/.exec(text.trim());
  if (!m) return undefined;
  const mult = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[(m[2] ?? "B") as "B"];
  return Math.round(Number(m[1]) * mult);
}
export const SIZE_FORM = "a size with a unit B, kB, MB, GB or TB (10MB, 512kB)";
