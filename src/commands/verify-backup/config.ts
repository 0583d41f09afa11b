import * as v from "valibot";
import { duration, positiveInt, type RunContext, type SectionOf, secret } from "../../sdk/index.ts";
import { LEVELS } from "./levels.ts";
import { parseSource, SOURCE_FORMS } from "./sources.ts";

const source = v.pipe(
  v.string(),
  v.check(
    (s) => parseSource(s).ok,
    (issue) => {
      const r = parseSource(String(issue.input));
      return r.ok ? `must be a backup source: ${SOURCE_FORMS.join(", ")}` : r.message;
    },
  ),
);

export const VerifyBackupSchema = v.strictObject({
  sources: v.optional(v.pipe(v.array(source), v.description("Backups to verify, per environment (or --source)"))),
  level: v.optional(v.pipe(v.picklist(LEVELS), v.description("How deep to verify: exists, integrity, restore or query"))),
  maxAge: v.optional(duration("The newest recovery point must be younger than this (the RPO)")),
  probes: v.optional(
    v.array(
      v.strictObject({
        sql: v.pipe(v.string(), v.minLength(1), v.description("A query whose first column of the first row is a number")),
        expect: v.pipe(v.string(), v.description("Expected range MIN:MAX (MIN: or :MAX for open ends)")),
      }),
    ),
  ),
  probeTimeout: v.optional(duration("Statement timeout for each probe query")),
  pgRestore: v.optional(v.pipe(v.string(), v.description("Path to pg_restore (default: PATH, then /usr/lib/postgresql/N/bin)"))),
  restoreJobs: v.optional(positiveInt("pg_restore --jobs for restores into the scratch database")),
  manifests: v.optional(v.pipe(v.array(v.string()), v.description("Manifest object names looked for under an S3 prefix"))),
  scratch: v.optional(
    v.strictObject({
      dsn: v.optional(secret("PostgreSQL server that dumps are restored into (postgres:// URL; its role needs CREATEDB)")),
      availabilityZone: v.optional(v.pipe(v.string(), v.description("Availability zone for scratch EBS volumes (default: <region>a)"))),
      volumeType: v.optional(v.pipe(v.string(), v.description("Volume type for scratch EBS volumes"))),
      ttl: v.optional(duration("How long a scratch resource may live; recorded in its tag or marker")),
      restoreTimeout: v.optional(duration("How long to wait for a scratch volume or a restored server")),
      directory: v.optional(v.pipe(v.string(), v.description("Where local scratch files and pgBackRest restores go (default: the temp directory)"))),
    }),
  ),
  pgbackrest: v.optional(
    v.strictObject({
      binary: v.optional(v.string()),
      config: v.optional(v.pipe(v.string(), v.description("pgbackrest --config file"))),
      runAs: v.optional(v.pipe(v.string(), v.description("OS user that owns the repository and runs PostgreSQL (when opsctl runs as root)"))),
      pgBin: v.optional(v.pipe(v.string(), v.description("Directory with pg_ctl (default /usr/lib/postgresql/<version>/bin)"))),
      user: v.optional(v.pipe(v.string(), v.description("Role to connect as in the restored cluster"))),
      database: v.optional(v.string()),
    }),
  ),
});

export const VERIFY_BACKUP_DEFAULTS = {
  sources: [] as string[],
  level: "integrity" as (typeof LEVELS)[number],
  maxAge: "26h",
  probes: [] as { sql: string; expect: string }[],
  probeTimeout: "60s",
  restoreJobs: 1,
  manifests: ["manifest.json", "SHA256SUMS"],
  scratch: { volumeType: "gp3", ttl: "6h", restoreTimeout: "30m" },
  pgbackrest: { binary: "pgbackrest", user: "postgres", database: "postgres" },
};

export type VerifyContext = RunContext<SectionOf<typeof VerifyBackupSchema, typeof VERIFY_BACKUP_DEFAULTS>>;
