import * as v from "valibot";
import { duration, type RunContext, type SectionOf, secret } from "../../sdk/index.ts";
import { parseSize, SIZE_FORM } from "./common.ts";

const ratio = (description: string) => v.pipe(v.number(), v.minValue(0), v.maxValue(1), v.description(description));
const count = (description: string) => v.pipe(v.number(), v.integer(), v.minValue(0), v.description(description));
const size = (description: string) =>
  v.pipe(
    v.string(),
    v.check((s) => parseSize(s) !== undefined, `must be ${SIZE_FORM}`),
    v.description(description),
  );

export const DbMaintenanceSchema = v.strictObject({
  dsn: v.optional(secret("PostgreSQL connection URL of the primary (postgres://…), usually per environment: a reference env:NAME or file:/path")),
  replicas: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, "replica names use letters, digits, - and _")),
      secret("Connection URL of a replica whose index usage counts too (drop-unused-indexes)"),
    ),
  ),
  database: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Database to maintain instead of the one in the DSN"))),
  schema: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Only this schema"))),
  table: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Only this table"))),
  lockTimeout: v.optional(duration("lock_timeout of every statement (and of the dry run's probes)")),
  statementTimeout: v.optional(duration("statement_timeout of every statement")),
  lockRetries: v.optional(count("Retries of a statement that hit lock_timeout, with exponential backoff")),
  retryBackoff: v.optional(duration("First backoff after a lock timeout (doubles, with jitter, at most 30s)")),
  minObserved: v.optional(duration("drop-unused-indexes: usage counters must cover at least this long")),
  idleFor: v.optional(duration("terminate-idle-transactions: idle in transaction for longer than this")),
  terminateSuperusers: v.optional(v.pipe(v.boolean(), v.description("terminate-idle-transactions may end superusers' sessions"))),
  analyzeThreshold: v.optional(count("analyze: modified rows always tolerated (like autovacuum_analyze_threshold)")),
  analyzeScaleFactor: v.optional(ratio("analyze: share of rows that may change (like autovacuum_analyze_scale_factor)")),
  vacuumThreshold: v.optional(count("vacuum: dead tuples always tolerated (like autovacuum_vacuum_threshold)")),
  vacuumScaleFactor: v.optional(ratio("vacuum: share of rows that may be dead (like autovacuum_vacuum_scale_factor)")),
  freezeAgeRatio: v.optional(ratio("vacuum: VACUUM (FREEZE) past this share of autovacuum_freeze_max_age")),
  reindexBloatRatio: v.optional(ratio("reindex: estimated bloat (share of the index) that triggers a rebuild")),
  reindexMinSize: v.optional(size("reindex: smaller indexes are never rebuilt for bloat")),
  connectTimeout: v.optional(duration("Connection timeout for the primary and each replica")),
});

export const DB_MAINTENANCE_DEFAULTS = {
  replicas: {} as Record<string, string>,
  lockTimeout: "2s",
  statementTimeout: "30m",
  lockRetries: 3,
  retryBackoff: "1s",
  minObserved: "14d",
  idleFor: "1h",
  terminateSuperusers: false,
  analyzeThreshold: 50,
  analyzeScaleFactor: 0.1,
  vacuumThreshold: 1000,
  vacuumScaleFactor: 0.2,
  freezeAgeRatio: 0.8,
  reindexBloatRatio: 0.5,
  reindexMinSize: "10MB",
  connectTimeout: "5s",
};

export type DbContext = RunContext<SectionOf<typeof DbMaintenanceSchema, typeof DB_MAINTENANCE_DEFAULTS>>;
