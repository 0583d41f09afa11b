import type { PgMaintenancePort } from "../../providers/postgres/maintenance.ts";
import { describeTarget, type PgTarget, pgTarget } from "../../providers/postgres/target.ts";
import { type Check, defineCommand, mapLimit, parseDuration, perRun, usageError } from "../../sdk/index.ts";
import { applyAction, planTimeouts } from "./apply.ts";
import { parseSize, TASKS, type Task } from "./common.ts";
import { DB_MAINTENANCE_DEFAULTS, type DbContext, DbMaintenanceSchema } from "./config.ts";
import { discover, type ReplicaRef, type TaskSettings } from "./discover.ts";
import { liveState } from "./live.ts";
import { PerKeyQueue } from "./per-table.ts";
import { validateAction } from "./validate.ts";

const VALIDATION_CONCURRENCY = 4;

/** The primary's URL, with --database applied; a usage error naming the key when it is missing or not a URL. */
function primaryDsn(ctx: DbContext): string {
  const key = "dbMaintenance.dsn";
  const dsn = ctx.secret(key);
  if (!dsn) {
    throw usageError(`no PostgreSQL connection: set ${key} (per environment: environments.${ctx.scope.environment}.${key}), e.g. env:PG_DSN`);
  }
  return withDatabase(dsn, ctx.section.database, key);
}

function withDatabase(dsn: string, database: string | undefined, key: string): string {
  if (!pgTarget(dsn)) throw usageError([{ message: `${key} is not a postgres:// or postgresql:// URL (value not shown: it is a secret)` }]);
  if (!database) return dsn;
  const u = new URL(dsn);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

const ms = (text: string) => parseDuration(text) as number;

function connectOptions(ctx: DbContext, role: string) {
  const s = ctx.section;
  return {
    role,
    connectTimeoutSeconds: Math.max(1, Math.round(ms(s.connectTimeout) / 1000)),
    readTimeouts: { lockTimeoutMs: ms(s.lockTimeout), statementTimeoutMs: Math.min(ms(s.statementTimeout), 60_000) },
    phase: () => ctx.phase,
  };
}

/** One pool per run for the primary; replicas are opened when first needed. */
const primary = perRun((ctx: DbContext): Promise<PgMaintenancePort> => ctx.provider("postgresMaintenance", primaryDsn(ctx), connectOptions(ctx, "primary")));
/** Each configured replica's URL (with --database applied) and its label host:port/database. */
function replicaTargets(ctx: DbContext): { label: string; dsn: string }[] {
  return Object.keys(ctx.section.replicas).map((name) => {
    const key = `dbMaintenance.replicas.${name}`;
    const dsn = withDatabase(ctx.secret(key) ?? "", ctx.section.database, key);
    return { label: describeTarget(pgTarget(dsn) as PgTarget), dsn };
  });
}
const replicaRefs = perRun(
  async (ctx: DbContext): Promise<ReplicaRef[]> =>
    replicaTargets(ctx).map(({ label, dsn }) => {
      let port: Promise<PgMaintenancePort> | undefined;
      return { label, connect: () => (port ??= ctx.provider("postgresMaintenance", dsn, connectOptions(ctx, `replica ${label}`))) };
    }),
);
const queue = perRun(async (_ctx: DbContext) => new PerKeyQueue());

function task(ctx: DbContext): Task {
  return ctx.args.task as Task;
}

function settings(ctx: DbContext): TaskSettings {
  const s = ctx.section;
  return {
    task: task(ctx),
    filter: { schema: s.schema, table: s.table },
    timeouts: { lockTimeout: s.lockTimeout, statementTimeout: s.statementTimeout },
    analyze: { threshold: s.analyzeThreshold, scaleFactor: s.analyzeScaleFactor },
    vacuum: { threshold: s.vacuumThreshold, scaleFactor: s.vacuumScaleFactor, freezeAgeRatio: s.freezeAgeRatio },
    reindex: { bloatRatio: s.reindexBloatRatio, minSizeBytes: parseSize(s.reindexMinSize) as number, minSizeText: s.reindexMinSize },
    minObservedMs: ms(s.minObserved),
    minObservedText: s.minObserved,
    idleForMs: ms(s.idleFor),
    idleForText: s.idleFor,
    terminateSuperusers: s.terminateSuperusers,
    now: ctx.deps.now(),
    nearMisses: ctx.flags.verbose === true || ctx.flags.format === "json",
  };
}

const handler = async (action: Parameters<typeof applyAction>[1], ctx: DbContext) => {
  const pg = await primary(ctx);
  const p = action.call.parameters;
  const key = p.tableOid === null || p.tableOid === undefined ? action.resource.id : `table:${p.tableOid}`;
  const s = ctx.section;
  return (await queue(ctx)).run(key, () =>
    applyAction(pg, action, {
      retry: { attempts: 1 + s.lockRetries, baseDelayMs: ms(s.retryBackoff), maxDelayMs: 30_000 },
      signal: ctx.deps.signal,
      log: (m) => ctx.log.info(`${action.resource.id}: ${m}`),
    }),
  );
};

export const dbMaintenance = defineCommand({
  name: "db-maintenance",
  description: "PostgreSQL maintenance (analyze, vacuum, reindex, drop unused indexes, end idle transactions) with evidence and bounded locks",
  version: "1.0.0",
  config: { key: "dbMaintenance", schema: DbMaintenanceSchema, defaults: DB_MAINTENANCE_DEFAULTS },
  providers: ["postgresMaintenance"],
  positionals: [{ name: "task", description: "What to do", required: true, values: TASKS }],
  scope: { region: false, target: (ctx) => `database=${describeTarget(pgTarget(primaryDsn(ctx)) as PgTarget)}` },
  flags: [
    {
      name: "database",
      kind: "string",
      configKey: "dbMaintenance.database",
      valueName: "NAME",
      description: "Database to maintain (default: the one in the DSN)",
    },
    { name: "schema", kind: "string", configKey: "dbMaintenance.schema", valueName: "S", description: "Only this schema" },
    { name: "table", kind: "string", configKey: "dbMaintenance.table", valueName: "T", description: "Only this table (and its indexes)" },
    {
      name: "db-lock-timeout",
      kind: "duration",
      configKey: "dbMaintenance.lockTimeout",
      valueName: "DURATION",
      description: "PostgreSQL lock_timeout of every statement (default 2s); retried with backoff, never waits unbounded",
    },
    {
      name: "statement-timeout",
      kind: "duration",
      configKey: "dbMaintenance.statementTimeout",
      valueName: "DURATION",
      description: "PostgreSQL statement_timeout of every statement (default 30m)",
    },
    {
      name: "min-observed",
      kind: "duration",
      configKey: "dbMaintenance.minObserved",
      valueName: "DURATION",
      description: "drop-unused-indexes: usage counters must cover this long (default 14d)",
    },
    {
      name: "idle-for",
      kind: "duration",
      configKey: "dbMaintenance.idleFor",
      valueName: "DURATION",
      description: "terminate-idle-transactions: idle in transaction longer than this (default 1h)",
    },
  ],
  permissions: [
    "postgresql:owner of the tables and indexes (or database owner for ANALYZE/VACUUM)",
    "postgresql:pg_signal_backend (terminate-idle-transactions)",
    "postgresql:pg_read_all_stats (to see other roles' sessions)",
  ],

  parameters(ctx) {
    const s = ctx.section;
    const common = {
      task: task(ctx),
      schema: s.schema ?? null,
      table: s.table ?? null,
      lockTimeout: s.lockTimeout,
      statementTimeout: s.statementTimeout,
      lockRetries: s.lockRetries,
    };
    switch (task(ctx)) {
      case "analyze":
        return { ...common, analyzeThreshold: s.analyzeThreshold, analyzeScaleFactor: s.analyzeScaleFactor };
      case "vacuum":
        return { ...common, vacuumThreshold: s.vacuumThreshold, vacuumScaleFactor: s.vacuumScaleFactor, freezeAgeRatio: s.freezeAgeRatio };
      case "reindex":
        return { ...common, reindexBloatRatio: s.reindexBloatRatio, reindexMinSize: s.reindexMinSize };
      case "drop-unused-indexes":
        return { ...common, minObserved: s.minObserved, replicas: replicaTargets(ctx).map((r) => r.label) };
      case "terminate-idle-transactions":
        return { ...common, idleFor: s.idleFor, terminateSuperusers: s.terminateSuperusers };
    }
  },

  async plan(ctx) {
    const pg = await primary(ctx);
    const info = await pg.info();
    ctx.log.debug(`PostgreSQL ${info.version} at ${describeTarget(pg.target)} as ${info.currentUser}`);
    return discover(pg, info, settings(ctx), await replicaRefs(ctx));
  },

  async validate(plan, ctx) {
    const pg = await primary(ctx);
    const actions: Record<string, Check[]> = {};
    await mapLimit(plan.actions, VALIDATION_CONCURRENCY, async (a) => {
      actions[a.id] = await validateAction(pg, a, planTimeouts(a));
    });
    return { actions };
  },

  async live(action, ctx) {
    return liveState(await primary(ctx), action, async () => Promise.all((await replicaRefs(ctx)).map((r) => r.connect())));
  },

  apply: { analyze: handler, vacuum: handler, reindex: handler, delete: handler, terminate: handler },
});
