import type { FlagSpec, PositionalSpec } from "../cli/flags.ts";
import type { Redactor } from "../config/redact.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { Config, ConfigSection } from "../config/schema.ts";
import type { Deps } from "./deps.ts";
import type { Logger } from "./log.ts";
import type { Action, Check, Plan, Scope, Skipped } from "./plan.ts";
import type { LiveState } from "./preconditions.ts";
import type { Phase, ProviderDefinition, ProviderFactory, ProviderTypes } from "./providers.ts";
import type { Report } from "./report.ts";

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

/** "skipped" (with a detail): the remote refused because the resource drifted after its live re-read. */
export type ApplyOutcome = { status: "applied" | "already-done" | "skipped"; detail?: string; outputs?: Record<string, string> };

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
   * Re-reads the live attributes an action's preconditions name, just before it is
   * applied; undefined when the resource no longer exists. The plan being applied is
   * passed so a command can batch its re-reads in the order the executor takes actions.
   */
  live(action: Action, ctx: RunContext<S>, plan?: Plan): Promise<LiveState | undefined>;
  /** One handler per operation; it gets the plan too, e.g. to tag what it creates with the plan digest. */
  apply: Record<string, ApplyHandler<S>>;
  /** A read-only twin (e.g. deploy-plan): the pipeline runs it as if --dry-run were given. */
  dryRunOnly?: boolean;
  /** Whether this run needs a cloud region in its scope (default: yes); e.g. Kubernetes-only targets do not. */
  needsRegion?(section: S, config: Config): boolean;
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

export type OpsCommand = PlannableCommand | InfoCommand | GroupCommand;
