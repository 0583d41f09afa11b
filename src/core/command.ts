import type { FlagSpec, PositionalSpec } from "../cli/flags.ts";
import type { Redactor } from "../config/redact.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { Config, ConfigSection } from "../config/schema.ts";
import type { Deps } from "./deps.ts";
import type { Logger } from "./log.ts";
import type { Action, Check, Plan, Scope, Skipped } from "./plan.ts";
import type { LiveState } from "./preconditions.ts";
import type { Phase, ProviderDefinition, ProviderFactory, ProviderTypes } from "./providers.ts";
import type { ErrorClass, ExecutionResult, Report } from "./report.ts";

export type Flags = Record<string, string | boolean | number | string[] | undefined>;

/** What a command needs at run time: resolved config, scope, clients, logger, clock. */
// biome-ignore lint/suspicious/noExplicitAny: a command's section type is its own; core handles it untyped
export interface RunContext<Section = any> {
  deps: Deps;
  flags: Flags;
  /** The core configuration (scope, aws, guardrails, executor, lock). */
  config: Config;
  /** The command's own config section, defaults applied. */
  section: Section;
  resolved: ResolvedConfig;
  scope: Scope;
  log: Logger;
  redactor: Redactor;
  /** Which stage runs: clients refuse mutations before "apply" (planning is read-only by construction). */
  readonly phase: Phase;
  /** Resolves a secret-marked config value (env:/file: references) at the moment of use. */
  secret(key: string): string | undefined;
  /**
   * The command's positional arguments by name (empty when a saved plan is applied:
   * record what apply needs in the plan's parameters or actions).
   */
  args: Record<string, string>;
  /** A provider the command declared (a registered name, or a definition it brings), created by its lazily imported factory. */
  provider: ProviderLookup;
}

export interface ProviderLookup {
  <K extends keyof ProviderTypes>(name: K, ...args: Parameters<ProviderTypes[K]>): ReturnType<ProviderTypes[K]>;
  <F extends ProviderFactory>(def: ProviderDefinition<F>, ...args: Parameters<F>): ReturnType<F>;
}

export interface Draft {
  actions: Action[];
  skipped: Skipped[];
  checks?: Check[];
}

export interface Validation {
  plan?: Check[];
  /** Checks per action id, recorded on the action. */
  actions?: Record<string, Check[]>;
}

export interface ApplyOutcome {
  /**
   * "partial": the action did part of its work (detail says what is missing); the run then exits 5.
   * "skipped" (with a detail): the remote refused because the resource drifted after its live re-read.
   */
  status: "applied" | "already-done" | "partial" | "skipped" | "failed";
  detail?: string;
  outputs?: Record<string, string>;
  /**
   * With status "failed": why. A handler returns (not throws) a failure when it has a
   * record to keep, e.g. class "verification" for a check that did not hold.
   */
  error?: { class: ErrorClass; code?: string; message: string };
  /**
   * Resources the action created, even if it removed them again. An action that states
   * this (also as []) counts as a change for the exit code only when it is not empty:
   * a verification that created nothing and failed is exit 3, one that created scratch
   * resources is exit 5.
   */
  created?: string[];
  /** What the action measured (kept in the result, covered by its evidence digest). */
  evidence?: Record<string, unknown>;
}

/** What a command's finish step adds to the result: named outputs shown with it (an artifact's path and digest). */
export interface FinishOutcome {
  outputs?: Record<string, string>;
}

// biome-ignore lint/suspicious/noExplicitAny: see RunContext
export type ApplyHandler<S = any> = (action: Action, ctx: RunContext<S>, plan: Plan) => Promise<ApplyOutcome>;

/**
 * A command that plans and applies (DESIGN §1): it defines only its flags, its config
 * section, how it discovers and decides, how it validates against the control plane,
 * and one handler per operation. Parsing, config, output, guardrails and execution are
 * shared. Built with defineCommand() from src/sdk.
 */
// biome-ignore lint/suspicious/noExplicitAny: see RunContext
export interface PlannableCommand<S = any> {
  kind: "plannable";
  name: string;
  description: string;
  /** The command's own version, recorded in every plan it makes. */
  version: string;
  /** Digest of the command's source as built (scripts/build.ts), or "source" when run from source. */
  sourceDigest(): string;
  /** All flags: the command's own plus the shared scope, safety and output flags. */
  flags: FlagSpec[];
  /** Positional arguments (e.g. a task word), parsed and checked like flags; in ctx.args. */
  positionals?: PositionalSpec[];
  /**
   * What the run acts on inside its environment, beyond region/account (e.g.
   * `database=db.internal:5432/app`, never credentials): shown in the scope, recorded in
   * the plan, part of the scope's lock.
   */
  scopeTarget?(ctx: RunContext<S>): string | undefined;
  /** The command's config section (schema + defaults); absent when it has none. */
  config?: ConfigSection;
  /** Providers the command uses: names of registered providers, or definitions it brings. */
  providers: (string | ProviderDefinition)[];
  /** Cloud permissions the command needs, for docs and the registry meta-test. */
  permissions: string[];
  /** The command's inputs as recorded in plan.parameters (no secrets). */
  parameters(ctx: RunContext<S>): Record<string, unknown>;
  plan(ctx: RunContext<S>): Promise<Draft>;
  /** Control-plane validation (a failed check stops the run with exit 3 before any mutation). */
  validate?(plan: Plan, ctx: RunContext<S>): Promise<Validation>;
  /**
   * Apply only, after the lock and any confirmation, before the first action: work that
   * is not a change to a target but must precede them (ordering a certificate). Its
   * failed checks stop the run with exit 3 before any target is changed.
   */
  prepare?(plan: Plan, ctx: RunContext<S>): Promise<Validation>;
  /**
   * Apply only, after every action ended (also after an interrupt or failures): work
   * that spans the actions, such as sealing an artifact they wrote into. Its outputs go
   * into the result; an error it throws ends the run with that error.
   */
  finish?(plan: Plan, ctx: RunContext<S>, result: ExecutionResult): Promise<FinishOutcome>;
  /**
   * Re-reads the live attributes an action's preconditions name, just before it is
   * applied; undefined when the resource no longer exists. The plan being applied is
   * passed so a command can batch its re-reads in the order the executor takes actions.
   */
  live(action: Action, ctx: RunContext<S>, plan?: Plan): Promise<LiveState | undefined>;
  /** One handler per operation; it gets the plan too, e.g. to tag what it creates with the plan digest. */
  apply: Record<string, ApplyHandler<S>>;
  /**
   * Actions that must be applied together, all or nothing (e.g. one DNS zone's change
   * batch). The executor re-checks every action of a group, then hands the whole group
   * to apply() once instead of calling the per-operation handlers; if one action of a
   * group drifted, none of the group is applied. Groups run with the usual concurrency.
   */
  batch?: {
    group(action: Action): string;
    apply(actions: Action[], ctx: RunContext<S>, plan: Plan): Promise<ApplyOutcome>;
  };
  /** A read-only twin (e.g. deploy-plan): the pipeline runs it as if --dry-run were given. */
  dryRunOnly?: boolean;
  /**
   * The command only reads, also when it runs its plan (evidence collection, reports):
   * its clients keep refusing mutations while the actions execute (phase "read"), and
   * the run takes no scope lock and needs no confirmation for a protected environment.
   */
  readOnly?: boolean;
  /**
   * Other things the command does besides planning, each chosen by one flag that then
   * replaces the pipeline (e.g. `collect-incident --verify FILE`): the scope flags are
   * not needed, only the mode's flag and the output flags are accepted.
   */
  modes?: CommandMode[];
  /** Whether this run needs a cloud region in its scope (default: yes); e.g. Kubernetes-only targets do not. */
  needsRegion?(section: S, config: Config): boolean;
}

export interface CommandMode {
  flag: FlagSpec;
  run(inv: InfoInvocation): Promise<Report>;
}

export interface InfoInvocation {
  deps: Deps;
  flags: Flags;
  positionals: string[];
  path: string;
  /** The registry this binary was built with (for commands that walk it). */
  root: GroupCommand;
}

/** A command that reports something (version, exit codes, schemas, history). */
export interface InfoCommand {
  kind: "info";
  name: string;
  description: string;
  flags: FlagSpec[];
  positionals?: PositionalSpec[];
  run(inv: InfoInvocation): Promise<Report>;
}

export interface GroupCommand {
  kind: "group";
  name: string;
  description: string;
  subCommands: Record<string, OpsCommand>;
}

/** What a report command's run returns: its data, how many findings it holds, and one renderer per output format. */
export interface ReportOutcome {
  result: unknown;
  /** Findings > 0 is exit 10, so a scheduled job can alert on them. */
  findings: number;
  /** Renderers by --format value besides json (the envelope): text, csv, … */
  render: Record<string, (result: unknown) => string>;
}

/**
 * A read-only command whose result is a report (an audit, an inventory): scoped and
 * configured like a plannable command, but it plans nothing and applies nothing. Its
 * clients are read-only; --out FILE saves the rendered report instead of printing it.
 */
// biome-ignore lint/suspicious/noExplicitAny: see RunContext
export interface ReportCommand<S = any> {
  kind: "report";
  name: string;
  description: string;
  /** The command's own version (semver). */
  version: string;
  /** Digest of the command's source as built, or "source" when run from source. */
  sourceDigest(): string;
  /** All flags: the command's own plus the shared scope and output flags (and --out). */
  flags: FlagSpec[];
  config?: ConfigSection;
  providers: (string | ProviderDefinition)[];
  permissions: string[];
  /** Discovery and the report. Read-only: clients refuse mutations. */
  run(ctx: RunContext<S>): Promise<ReportOutcome>;
  needsRegion?(section: S, config: Config): boolean;
}

export type OpsCommand = PlannableCommand | InfoCommand | ReportCommand | GroupCommand;
