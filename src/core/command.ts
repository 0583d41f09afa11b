import type { FlagSpec, PositionalSpec } from "../cli/flags.ts";
import type { Redactor } from "../config/redact.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { Config } from "../config/schema.ts";
import type { Deps } from "./deps.ts";
import type { Logger } from "./log.ts";
import type { Action, Check, Operation, Plan, Scope, Skipped } from "./plan.ts";
import type { LiveState } from "./preconditions.ts";
import type { Report } from "./report.ts";

export type Flags = Record<string, string | boolean | number | string[] | undefined>;

/** What a command needs at run time: resolved config, scope, clients, logger, clock. */
export interface RunContext {
  deps: Deps;
  flags: Flags;
  config: Config;
  resolved: ResolvedConfig;
  scope: Scope;
  log: Logger;
  redactor: Redactor;
  /** Resolves a secret-marked config value (env:/file: references) at the moment of use. */
  secret(key: string): string | undefined;
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

export type ApplyOutcome = { status: "applied" | "already-done"; detail?: string; outputs?: Record<string, string> };

/**
 * A command that plans and applies (DESIGN §1): it defines only its flags, how it
 * discovers and decides, how it validates against the control plane, and one
 * handler per operation. Parsing, config, output, guardrails and execution are shared.
 */
export interface PlannableCommand {
  kind: "plannable";
  name: string;
  description: string;
  flags: FlagSpec[];
  /** Cloud permissions the command needs, for docs and the registry meta-test. */
  permissions: string[];
  /** The command's inputs as recorded in plan.parameters (no secrets). */
  parameters(ctx: RunContext): Record<string, unknown>;
  plan(ctx: RunContext): Promise<Draft>;
  /** Control-plane validation (a failed check stops the run with exit 3 before any mutation). */
  validate?(plan: Plan, ctx: RunContext): Promise<Validation>;
  /**
   * Re-reads the live attributes an action's preconditions name, just before it is
   * applied; undefined when the resource no longer exists.
   */
  live(action: Action, ctx: RunContext): Promise<LiveState | undefined>;
  /** One handler per operation; it gets the plan too, e.g. to tag what it creates with the plan digest. */
  apply: Partial<Record<Operation, (action: Action, ctx: RunContext, plan: Plan) => Promise<ApplyOutcome>>>;
  /** A read-only twin (e.g. deploy-plan): the pipeline runs it as if --dry-run were given. */
  dryRunOnly?: boolean;
  /** Whether this run needs a cloud region in its scope (default: yes); e.g. Kubernetes-only targets do not. */
  needsRegion?(config: Config): boolean;
}

export interface InfoInvocation {
  deps: Deps;
  flags: Flags;
  positionals: string[];
  path: string;
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
