import { tmpdir } from "node:os";
import type { EbsRestorePort } from "../../providers/aws/ebs-restore.ts";
import type { S3BackupsPort } from "../../providers/aws/s3-backups.ts";
import type { PgBackRestPort } from "../../providers/pgbackrest/pgbackrest.ts";
import { locateTool } from "../../providers/postgres/pg-tools.ts";
import { parseDsn, type ScratchServer } from "../../providers/postgres/scratch.ts";
import { awsOptions, parseDuration, perRun, type RunContext, remoteError, usageError } from "../../sdk/index.ts";
import type { VerifyContext } from "./config.ts";
import { type Level, rank } from "./levels.ts";
import { type Probe, pairProbes } from "./probes.ts";
import { parseSources, type SourceSpec } from "./sources.ts";

// What one run of verify-backup works with: the sources and probes (from flags or the
// environment's config, every problem reported at once), and its clients, one per run.

export interface Inputs {
  specs: SourceSpec[];
  level: Level;
  maxAge: { text: string; ms: number };
  probes: Probe[];
  scratch: { availabilityZone: string; volumeType: string; ttl: string; ttlMs: number; restoreTimeoutMs: number; directory: string };
}

const isDb = (s: SourceSpec) => s.kind === "postgres-dump" || s.kind === "pgbackrest";

export function inputs(ctx: VerifyContext): Inputs {
  const s = ctx.section;
  const problems: string[] = [];
  const { specs, problems: bad } = parseSources(s.sources);
  problems.push(...bad);
  if (!specs.length && !bad.length) {
    problems.push(`no backup sources: give --source (repeatable) or set verifyBackup.sources for environment '${ctx.scope.environment}'`);
  }
  const flagProbes = Array.isArray(ctx.flags.probe) ? (ctx.flags.probe as string[]) : [];
  const flagRanges = Array.isArray(ctx.flags["expect-range"]) ? (ctx.flags["expect-range"] as string[]) : [];
  // Probes on the command line replace the configured ones as a set (they are pairs).
  const paired =
    flagProbes.length || flagRanges.length
      ? pairProbes(flagProbes, flagRanges)
      : pairProbes(
          s.probes.map((p) => p.sql),
          s.probes.map((p) => p.expect),
        );
  problems.push(...paired.problems);
  if (s.level === "query" && specs.some(isDb) && !paired.probes.length && !paired.problems.length) {
    problems.push("--level query needs at least one --probe SQL with --expect-range MIN:MAX (or verifyBackup.probes)");
  }
  if (flagProbes.length && specs.length && !specs.some(isDb)) problems.push("--probe needs a pgdump: or pgbackrest: source");
  if (problems.length)
    throw usageError(problems.map((message) => ({ message, source: { kind: "flag" as const, name: "--source/--probe/--expect-range or verifyBackup.*" } })));
  return { specs, level: s.level, maxAge: { text: s.maxAge, ms: parseDuration(s.maxAge) as number }, probes: paired.probes, scratch: scratchSettings(ctx) };
}

/** Scratch settings alone: apply handlers need them, also for a saved plan run without --source. */
export function scratchSettings(ctx: VerifyContext): Inputs["scratch"] {
  const sc = ctx.section.scratch;
  return {
    availabilityZone: sc?.availabilityZone ?? `${ctx.scope.region ?? "us-east-1"}a`,
    volumeType: sc?.volumeType ?? "gp3",
    ttl: sc?.ttl ?? "6h",
    ttlMs: parseDuration(sc?.ttl ?? "6h") as number,
    restoreTimeoutMs: parseDuration(sc?.restoreTimeout ?? "30m") as number,
    directory: sc?.directory ?? tmpdir(),
  };
}

/** Whether any source needs AWS (and so a region in the scope). */
export function needsAws(sources: string[]): boolean {
  return parseSources(sources).specs.some((s) => s.kind === "ebs-snapshots" || s.kind === "s3" || (s.kind === "postgres-dump" && s.location.kind === "s3"));
}

export function needsScratchServer(specs: SourceSpec[], level: Level): boolean {
  return rank(level) >= rank("restore") && specs.some((s) => s.kind === "postgres-dump");
}

export const ebs = perRun((ctx: RunContext): Promise<EbsRestorePort> => ctx.provider("ebsRestore", awsOptions(ctx)));
export const s3 = perRun((ctx: RunContext): Promise<S3BackupsPort> => ctx.provider("s3Backups", awsOptions(ctx)));
export const pgbackrest = perRun((ctx: RunContext): Promise<PgBackRestPort> => {
  const o = (ctx as VerifyContext).section.pgbackrest;
  return ctx.provider(
    "pgbackrest",
    {
      binary: o?.binary ?? "pgbackrest",
      ...(o?.config ? { configFile: o.config } : {}),
      ...(o?.runAs ? { runAs: o.runAs } : {}),
      ...(o?.pgBin ? { pgBin: o.pgBin } : {}),
    },
    ctx.deps.env,
  );
});
export const pgRestore = perRun((ctx: RunContext) => locateTool("pg_restore", (ctx as VerifyContext).section.pgRestore, ctx.deps.env));

/** The scratch server, connected once per run; a missing DSN is a usage error naming the key. */
export const scratchServer = perRun(async (ctx: RunContext): Promise<ScratchServer> => {
  const dsn = ctx.secret("verifyBackup.scratch.dsn");
  if (!dsn) {
    throw usageError(
      "verifyBackup.scratch.dsn is not set: restoring a pgdump: source needs a scratch PostgreSQL server (a postgres:// URL whose role has CREATEDB)",
    );
  }
  try {
    parseDsn(dsn);
  } catch (e) {
    throw usageError(`verifyBackup.scratch.dsn: ${(e as Error).message}`);
  }
  try {
    return await ctx.provider("pgScratch", dsn);
  } catch (e) {
    throw pgFailure(e);
  }
});

/** A PostgreSQL failure while reading (plan, validate): unreachable or credentials rejected is exit 4. Never echoes the DSN. */
export function pgFailure(e: unknown) {
  const err = e as { code?: string; message?: string };
  const where = "the scratch server (verifyBackup.scratch.dsn)";
  if (err.code === "28P01" || err.code === "28000") return remoteError(`${where} rejected the credentials (${err.code})`, e);
  if (err.code === "3D000") return remoteError(`${where}: the database in the DSN does not exist`, e);
  return remoteError(`cannot reach ${where}: ${err.code ?? "error"}${err.message ? ` (${err.message.split("\n")[0]})` : ""}`, e);
}
