import * as v from "valibot";
import { DURATION_FORM, parseDuration } from "../core/duration.ts";
import { BlockedSchema, FLEET_DEFAULTS, FleetSchema, TargetsListSchema } from "../core/targets/model.ts";
import { secret } from "./markers.ts";

// The core of the configuration: scope, AWS client settings, guardrails, executor and
// locks. Each command brings its own section (schema + defaults) through the registry;
// compose() joins them into the one strict schema every layer is checked against, so an
// unknown key or a wrong type is reported with the layer that set it.

export { secret } from "./markers.ts";

export const duration = (description: string) =>
  v.pipe(
    v.string(),
    v.check((s) => parseDuration(s) !== undefined, `must be a duration: ${DURATION_FORM}`),
    v.description(description),
  );

export const positiveInt = (description: string) =>
  v.pipe(v.number("must be a number"), v.integer("must be a whole number"), v.minValue(0, "must be 0 or more"), v.description(description));

export const tagSelector = v.pipe(v.string(), v.regex(/^[^=]+=.*$/, "must be a tag selector KEY=VALUE"));

const AwsSchema = v.strictObject({
  endpoint: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("Endpoint override, e.g. an emulator"))),
  profile: v.optional(v.pipe(v.string(), v.description("Shared config profile for the default credential chain"))),
  accessKeyId: v.optional(secret("Static access key id (prefer the default credential chain)")),
  secretAccessKey: v.optional(secret("Static secret access key")),
  sessionToken: v.optional(secret("Session token for temporary credentials")),
  maxAttempts: v.optional(positiveInt("Attempts per AWS call, retries included (SDK standard retry mode)")),
  requestTimeout: v.optional(duration("Timeout of one AWS HTTP request")),
  apiBudget: v.optional(
    v.strictObject({
      share: v.optional(
        v.pipe(
          v.number("must be a number"),
          v.gtValue(0, "must be more than 0"),
          v.maxValue(1, "must be at most 1"),
          v.description("Share of each published AWS throttling bucket (capacity and refill rate) opsctl may use; other callers keep the rest"),
        ),
      ),
      operations: v.optional(
        v.pipe(
          v.record(
            v.pipe(v.string(), v.regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, "operation keys look like ec2:DeleteVolume")),
            v.strictObject({
              capacity: v.optional(v.pipe(v.number("must be a number"), v.gtValue(0, "must be more than 0"), v.description("Bucket capacity (tokens)"))),
              refillPerSecond: v.optional(
                v.pipe(v.number("must be a number"), v.gtValue(0, "must be more than 0"), v.description("Bucket refill rate (tokens per second)")),
              ),
              share: v.optional(v.pipe(v.number("must be a number"), v.gtValue(0, "must be more than 0"), v.maxValue(1, "must be at most 1"))),
            }),
          ),
          v.description("Per operation (service:Operation): the account's real bucket if AWS raised it, and/or a different share"),
        ),
      ),
    }),
  ),
});

const GuardrailsSchema = v.strictObject({
  maxDeletions: v.optional(positiveInt("Refuse plans that delete more than this many resources")),
  maxChanges: v.optional(positiveInt("Refuse plans with more than this many actions")),
});

const ValidationSchema = v.strictObject({
  mode: v.optional(
    v.pipe(
      v.picklist(["per-context", "per-action"], "must be one of per-context, per-action"),
      v.description("Control-plane DryRuns: once per operation and authorization context (default), or once per action"),
    ),
  ),
  ignoreTags: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.minLength(1))),
      v.description("Tag keys no IAM policy of yours conditions on (e.g. Name): left out of the authorization context, so fewer DryRuns"),
    ),
  ),
});

const ExecutorSchema = v.strictObject({
  concurrency: v.optional(v.pipe(positiveInt("Actions applied at once"), v.minValue(1, "must be at least 1"))),
  grace: v.optional(duration("After an interrupt, how long in-flight calls may finish before opsctl stops waiting")),
});

const LockSchema = v.strictObject({
  backend: v.optional(
    v.pipe(
      v.picklist(["local", "postgres", "s3"], "must be one of local, postgres, s3"),
      v.description("Where apply locks (and a copy of the audit log) live"),
    ),
  ),
  timeout: v.optional(duration("How long to wait for a held lock before giving up (exit 4)")),
  postgres: v.optional(v.strictObject({ dsn: v.optional(secret("PostgreSQL connection string for advisory locks")) })),
  s3: v.optional(
    v.strictObject({
      bucket: v.optional(v.pipe(v.string(), v.minLength(3), v.description("Bucket for lock objects"))),
      prefix: v.optional(v.pipe(v.string(), v.description("Key prefix for lock and audit objects"))),
      lease: v.optional(duration("Lease of an S3 lock; renewed while the apply runs, taken over after it expires")),
    }),
  ),
});

/** Core keys an environment block may override (everything but the layering controls). */
const coreOverridable = {
  region: v.optional(v.pipe(v.string(), v.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be a region such as us-east-1"), v.description("Cloud region"))),
  account: v.optional(
    v.pipe(v.string(), v.regex(/^\d{12}$/, "must be a 12-digit AWS account id"), v.description("Expected cloud account; checked against the credentials")),
  ),
  aws: v.optional(AwsSchema),
  guardrails: v.optional(GuardrailsSchema),
  executor: v.optional(ExecutorSchema),
  validation: v.optional(ValidationSchema),
  lock: v.optional(LockSchema),
  targets: v.optional(TargetsListSchema),
  fleet: v.optional(FleetSchema),
};

const layering = {
  protectedEnvironments: v.optional(v.pipe(v.array(v.string()), v.description("Environments that need --yes (or typed confirmation) to apply"))),
  stateDir: v.optional(v.pipe(v.string(), v.description("Where locks and the audit log live"))),
  locked: v.optional(v.pipe(v.array(v.string()), v.description("Keys that only the repository config may set (repository config only)"))),
  // Top level only: an environment block replacing the list would unblock accounts.
  blocked: v.optional(BlockedSchema),
};

const ENVIRONMENT_NAME = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, "environment names use letters, digits, - and _"));

/** Built-in defaults of the core keys: the lowest layer, shown as "default" by --show-config. */
export const CORE_DEFAULTS = {
  protectedEnvironments: ["prod", "production"],
  aws: { maxAttempts: 3, requestTimeout: "30s", apiBudget: { share: 0.5 } },
  guardrails: { maxDeletions: 50 },
  executor: { concurrency: 4, grace: "10s" },
  validation: { mode: "per-context" as "per-context" | "per-action", ignoreTags: [] as string[] },
  lock: { backend: "local" as "local" | "postgres" | "s3", timeout: "0s", s3: { prefix: "opsctl/", lease: "5m" } },
  fleet: FLEET_DEFAULTS,
};

/** A command's own config section: a strict object schema and its defaults. */
export interface ConfigSection {
  key: string;
  // biome-ignore lint/suspicious/noExplicitAny: any strict object schema
  schema: v.StrictObjectSchema<any, any>;
  defaults: Record<string, unknown>;
}

export interface ConfigModel {
  // biome-ignore lint/suspicious/noExplicitAny: composed at run time from the registry
  schema: v.StrictObjectSchema<any, any>;
  defaults: Record<string, unknown>;
  sections: string[];
}

const RESERVED = new Set([...Object.keys(coreOverridable), ...Object.keys(layering), "environments"]);

/** The one schema (and default layer) for core + every registered command's section. */
export function composeConfig(sections: ConfigSection[]): ConfigModel {
  const entries: Record<string, v.GenericSchema> = {};
  const defaults: Record<string, unknown> = { ...CORE_DEFAULTS };
  for (const s of sections) {
    if (RESERVED.has(s.key)) throw new Error(`config section '${s.key}' is a core key`);
    if (entries[s.key]) continue; // commands sharing a section (deploy, deploy-plan) bring the same one
    entries[s.key] = v.optional(s.schema);
    defaults[s.key] = s.defaults;
  }
  const overridable = { ...coreOverridable, ...entries };
  const schema = v.strictObject({
    ...overridable,
    protectedEnvironments: layering.protectedEnvironments,
    stateDir: layering.stateDir,
    blocked: layering.blocked,
    environments: v.optional(v.record(ENVIRONMENT_NAME, v.strictObject(overridable))),
    locked: layering.locked,
  });
  return { schema, defaults, sections: Object.keys(entries) };
}

// ---- types inferred from the schemas (never written twice) ----

type Obj = Record<string, unknown>;
/** A schema's output with its defaults applied: keys that have a default are present. */
export type WithDefaults<T, D> = T extends readonly unknown[]
  ? T
  : T extends Obj
    ? {
        [K in keyof T as K extends keyof D ? K : never]-?: K extends keyof D
          ? D[K] extends readonly unknown[]
            ? NonNullable<T[K]>
            : D[K] extends Obj
              ? WithDefaults<NonNullable<T[K]>, D[K]>
              : NonNullable<T[K]>
          : never;
      } & { [K in keyof T as K extends keyof D ? never : K]?: T[K] }
    : T;

type CoreOutput = v.InferOutput<v.StrictObjectSchema<typeof coreOverridable & typeof layering, undefined>>;

/** The resolved core configuration every command can read (defaults applied). */
export type Config = WithDefaults<CoreOutput, typeof CORE_DEFAULTS>;

/** What a section's defaults may hold: any part of the section's input. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends Obj ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
