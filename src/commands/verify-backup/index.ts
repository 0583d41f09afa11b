import { type Action, defineCommand, remoteFailure } from "../../sdk/index.ts";
import { verifyAction } from "./actions.ts";
import { VERIFY_BACKUP_DEFAULTS, VerifyBackupSchema, type VerifyContext } from "./config.ts";
import { discover, type Found } from "./discover.ts";
import { live, removeLeftover, verifyHandler } from "./handlers.ts";
import { leftoverDatabaseAction, leftoverDirAction, leftoverVolumeAction } from "./leftovers.ts";
import { LEVELS, rank } from "./levels.ts";
import { ebs, inputs, needsAws, needsScratchServer, pgbackrest, pgFailure, s3, scratchServer } from "./run.ts";
import { SOURCE_FORMS } from "./sources.ts";
import { validateVerify } from "./validate.ts";

export const verifyBackup = defineCommand({
  name: "verify-backup",
  description: "Prove that backups restore: freshness, checksums, a restore into scratch resources, probe queries; with evidence",
  version: "1.0.0",
  config: { key: "verifyBackup", schema: VerifyBackupSchema, defaults: VERIFY_BACKUP_DEFAULTS },
  providers: ["ebsRestore", "s3Backups", "pgScratch", "pgbackrest"],
  flags: [
    {
      name: "source",
      kind: "list",
      configKey: "verifyBackup.sources",
      valueName: "SPEC",
      itemPattern: { re: /^(ebs-snapshots:|s3:\/\/|pgdump:|pgbackrest:)/, form: SOURCE_FORMS.join(", ") },
      description: "Backup to verify (repeatable): ebs-snapshots:tag:K=V, s3://bucket/prefix/, pgdump:/path or pgdump:s3://bucket/key, pgbackrest:STANZA",
    },
    { name: "level", kind: "enum", values: LEVELS, configKey: "verifyBackup.level", description: "exists, integrity, restore or query (default integrity)" },
    {
      name: "max-age",
      kind: "duration",
      configKey: "verifyBackup.maxAge",
      valueName: "DURATION",
      description: "Fail a source whose newest recovery point is older (default 26h)",
    },
    { name: "probe", kind: "list", valueName: "SQL", description: "Query run on the restored database (repeatable, paired with --expect-range)" },
    { name: "expect-range", kind: "list", valueName: "MIN:MAX", description: "Range the probe's value must fall in (MIN: or :MAX for open ends)" },
  ],
  permissions: [
    "ec2:DescribeSnapshots",
    "ec2:CreateVolume",
    "ec2:CreateTags",
    "ec2:DescribeVolumes",
    "ec2:DeleteVolume",
    "s3:ListBucket",
    "s3:GetObject",
    "s3:GetObjectAttributes",
    "postgres:CREATEDB (scratch server role)",
  ],
  scope: { region: (section) => needsAws(section.sources) },

  parameters(ctx) {
    const s = (ctx as VerifyContext).section;
    return {
      sources: s.sources,
      level: s.level,
      maxAge: s.maxAge,
      probes: inputs(ctx as VerifyContext).probes.map((p) => ({ sql: p.sql, expect: p.expect })),
    };
  },

  async plan(c) {
    const ctx = c as VerifyContext;
    const run = inputs(ctx);
    const now = ctx.deps.now();
    const found: Found[] = [];
    const endpoint = ctx.config.aws.endpoint;
    for (const spec of run.specs) {
      try {
        found.push(...(await discover(spec, { ebs: () => ebs(ctx), s3: () => s3(ctx), pgbackrest: () => pgbackrest(ctx), cwd: ctx.deps.cwd })));
      } catch (e) {
        if ((e as { exit?: string }).exit) throw e;
        if (spec.kind === "pgbackrest") throw remoteFailure("pgBackRest", undefined, e);
        throw remoteFailure(spec.kind === "ebs-snapshots" ? "EC2" : "S3", endpoint, e);
      }
    }
    const server = needsScratchServer(run.specs, run.level) ? await scratchServer(ctx) : undefined;
    const inputsForActions = {
      level: run.level,
      maxAge: run.maxAge,
      now,
      environment: ctx.scope.environment,
      probes: run.probes,
      scratch: { ...run.scratch, ...(server ? { server: `${server.connection.host}:${server.connection.port}` } : {}) },
    };
    const verifies = found.map((f, i) => verifyAction(f, i, inputsForActions));
    return { actions: [...(await leftovers(ctx, run, now, server)), ...verifies], skipped: [] };
  },

  validate: (plan, ctx) => validateVerify(plan, ctx),
  live: (action, ctx) => live(action, ctx),
  apply: { verify: verifyHandler, delete: removeLeftover },
});

/** Scratch resources of this environment left by earlier runs: removed first (applies hold the scope lock). */
async function leftovers(
  ctx: VerifyContext,
  run: ReturnType<typeof inputs>,
  now: Date,
  server: Awaited<ReturnType<typeof scratchServer>> | undefined,
): Promise<Action[]> {
  const env = ctx.scope.environment;
  const restoring = rank(run.level) >= rank("restore");
  const out: Action[] = [];
  if (!restoring) return out;
  if (run.specs.some((s) => s.kind === "ebs-snapshots")) {
    try {
      const vols = await (await ebs(ctx)).volumesByTags({ "opsctl:purpose": "verify-backup", "opsctl:environment": env });
      out.push(...vols.map((v) => leftoverVolumeAction(v, now)));
    } catch (e) {
      throw remoteFailure("EC2", ctx.config.aws.endpoint, e);
    }
  }
  if (server) {
    try {
      const dbs = (await server.leftovers()).filter((l) => l.marker.environment === env);
      out.push(...dbs.map((l) => leftoverDatabaseAction(l.name, l.marker, `${server.connection.host}:${server.connection.port}`, now)));
    } catch (e) {
      throw pgFailure(e);
    }
  }
  if (run.specs.some((s) => s.kind === "pgbackrest")) {
    const dirs = (await pgbackrest(ctx)).leftovers(run.scratch.directory).filter((l) => l.marker.environment === env);
    out.push(...dirs.map((l) => leftoverDirAction(l.dir, l.marker, now)));
  }
  return out;
}
