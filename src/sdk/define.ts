import type * as v from "valibot";
import { type FlagSpec, MUTATING_FLAGS, OUTPUT_FLAGS, type PositionalSpec } from "../cli/flags.ts";
import type { Config, DeepPartial, WithDefaults } from "../config/schema.ts";
import type { ApplyHandler, ApplyOutcome, CommandMode, Draft, FinishOutcome, PlannableCommand, RunContext, Validation } from "../core/command.ts";
import type { Action, Plan } from "../core/plan.ts";
import type { LiveState } from "../core/preconditions.ts";
import type { ProviderDefinition, ProviderTypes } from "../core/providers.ts";
import type { ExecutionResult } from "../core/report.ts";

// biome-ignore lint/suspicious/noExplicitAny: any strict object schema
type SectionSchema = v.StrictObjectSchema<any, any>;

/** The section a command reads: the schema's output with its defaults applied. */
export type SectionOf<S extends SectionSchema, D> = WithDefaults<v.InferOutput<S>, D>;

/** Everything a command declares (DESIGN §1): the rest is the pipeline's. */
export interface CommandDefinition<S extends SectionSchema, D extends DeepPartial<v.InferInput<S>>> {
  /** kebab-case; the command word (inside its group, for team commands). */
  name: string;
  description: string;
  /** The command's own version (semver), recorded in every plan it makes. */
  version: string;
  /** Its config section: `key` in config files, OPSCTL_<KEY>__… in the environment. */
  config?: { key: string; schema: S; defaults: D };
  /** Its own flags; the scope, safety and output flags are added by the SDK. */
  flags?: FlagSpec[];
  /** Positional arguments (`opsctl db-maintenance TASK`), checked like flags (required, one of values); read from ctx.args. */
  positionals?: PositionalSpec[];
  /** Providers it uses: registered names, or definitions it brings (team commands). */
  providers: (keyof ProviderTypes | ProviderDefinition)[];
  /** Cloud permissions it needs (IAM actions, Kubernetes verbs, database privileges). */
  permissions: string[];
  /** Whether a run needs a cloud region (default true). */
  scope?: {
    region?: boolean | ((section: SectionOf<S, D>, config: Config) => boolean);
    /**
     * What a run acts on inside its environment, shown in the scope and part of its lock,
     * e.g. `database=db.internal:5432/app`; never credentials. Resolved once per run.
     */
    target?: (ctx: RunContext<SectionOf<S, D>>) => string | undefined;
  };
  /** Inputs recorded in plan.parameters (never secrets). */
  parameters(ctx: RunContext<SectionOf<S, D>>): Record<string, unknown>;
  /** Discovery and decision. Read-only: clients refuse mutations here. */
  plan(ctx: RunContext<SectionOf<S, D>>): Promise<Draft>;
  /** Control-plane validation (dry-run calls, privilege checks). Read-only as well. */
  validate?(plan: Plan, ctx: RunContext<SectionOf<S, D>>): Promise<Validation>;
  /** Apply only: work outside the targets that must precede them (e.g. ordering a certificate); failed checks → exit 3, nothing changed. */
  prepare?(plan: Plan, ctx: RunContext<SectionOf<S, D>>): Promise<Validation>;
  /** Apply only, after every action ended (also on interrupt): work spanning the actions, e.g. sealing an artifact; its outputs join the result. */
  finish?(plan: Plan, ctx: RunContext<SectionOf<S, D>>, result: ExecutionResult): Promise<FinishOutcome>;
  /**
   * Re-reads what an action's preconditions name, just before it is applied; undefined if
   * gone. The plan being applied is passed so a command can batch its re-reads in the order
   * the executor takes the actions.
   */
  live(action: Action, ctx: RunContext<SectionOf<S, D>>, plan?: Plan): Promise<LiveState | undefined>;
  /** One handler per operation the plans contain. */
  apply: Record<string, ApplyHandler<SectionOf<S, D>>>;
  /**
   * All-or-nothing groups (e.g. one DNS zone's change batch): actions with the same
   * group() are re-checked together and applied by one apply() call instead of the
   * per-operation handlers; a drifted action keeps its whole group from being applied.
   */
  batch?: {
    group(action: Action): string;
    apply(actions: Action[], ctx: RunContext<SectionOf<S, D>>, plan: Plan): Promise<ApplyOutcome>;
  };
  /** Never applies (like deploy-plan): the pipeline always stops after validation. */
  planOnly?: boolean;
  /**
   * Only reads, also when it runs its plan (evidence collection): clients keep refusing
   * mutations while actions execute, and no scope lock or protected-environment
   * confirmation is needed.
   */
  readOnly?: boolean;
  /** Other things the command does, each chosen by one flag that replaces the pipeline (e.g. --verify FILE). */
  modes?: CommandMode[];
}

// Filled in by scripts/build.ts: command folder → sha256 of its source files.
declare const __OPSCTL_COMMAND_DIGESTS__: Record<string, string> | undefined;
const DIGESTS: Record<string, string> = typeof __OPSCTL_COMMAND_DIGESTS__ === "object" ? __OPSCTL_COMMAND_DIGESTS__ : {};

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * Turns a command definition into a command the pipeline runs. The definition never
 * sees --dry-run: a dry run is the pipeline stopping after plan and validate.
 */
export function defineCommand<S extends SectionSchema, D extends DeepPartial<v.InferInput<S>>>(
  def: CommandDefinition<S, D>,
): PlannableCommand<SectionOf<S, D>> {
  if (!NAME.test(def.name)) throw new Error(`command name '${def.name}' must be kebab-case`);
  if (!SEMVER.test(def.version)) throw new Error(`${def.name}: version '${def.version}' must be semver (1.2.3)`);
  const own = def.flags ?? [];
  const shared = new Set([...MUTATING_FLAGS, ...OUTPUT_FLAGS].map((f) => f.name));
  const clash = own.find((f) => shared.has(f.name));
  if (clash) throw new Error(`${def.name}: flag --${clash.name} is one of the shared flags the SDK adds`);
  const region = def.scope?.region;
  return {
    kind: "plannable",
    name: def.name,
    description: def.description,
    version: def.version,
    sourceDigest: () => DIGESTS[def.name] ?? "source",
    // Required command flags first, then the shared scope/safety flags, then the command's options.
    // A mode's flag is listed too, so --help shows it; given, it replaces the pipeline (cli/app.ts).
    flags: [...own.filter((f) => f.required), ...MUTATING_FLAGS, ...own.filter((f) => !f.required), ...(def.modes ?? []).map((m) => m.flag), ...OUTPUT_FLAGS],
    ...(def.positionals ? { positionals: def.positionals } : {}),
    ...(def.scope?.target ? { scopeTarget: def.scope.target } : {}),
    ...(def.config ? { config: def.config } : {}),
    providers: def.providers as (string | ProviderDefinition)[],
    permissions: def.permissions,
    parameters: def.parameters,
    plan: def.plan,
    ...(def.validate ? { validate: def.validate } : {}),
    ...(def.prepare ? { prepare: def.prepare } : {}),
    ...(def.finish ? { finish: def.finish } : {}),
    live: def.live,
    apply: def.apply,
    ...(def.batch ? { batch: def.batch } : {}),
    ...(def.planOnly ? { dryRunOnly: true } : {}),
    ...(def.readOnly ? { readOnly: true } : {}),
    ...(def.modes ? { modes: def.modes } : {}),
    ...(region === undefined ? {} : { needsRegion: typeof region === "function" ? region : () => region }),
  };
}

/** A read-only twin of a command (like deploy-plan for deploy): same plan, never applied. */
export function planOnly<S>(cmd: PlannableCommand<S>, description: string): PlannableCommand<S> {
  return { ...cmd, description, dryRunOnly: true };
}
