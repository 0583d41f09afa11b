import { resolve } from "node:path";
import type { Redactor } from "../config/redact.ts";
import { applyPlan, refuseUnconfirmed, withScopeLock } from "./apply.ts";
import { appendAudit } from "./audit.ts";
import { failedChecks, withChecks } from "./checks.ts";
import type { Flags, PlannableCommand, RunContext } from "./command.ts";
import { createContext, enterPhase, loadConfigFor } from "./context.ts";
import type { Deps } from "./deps.ts";
import { isOpsError, usageError, validationError } from "./errors.ts";
import { isFleetRun } from "./fleet/detect.ts";
import { checkGuardrails } from "./guardrails.ts";
import { writeJsonFile } from "./json-stream.ts";
import { PLAN_SCHEMA_ID, type Plan, type Scope } from "./plan.ts";
import { type ExecutionResult, problemsToErrors, type Report } from "./report.ts";
import { describeScope } from "./scope-text.ts";
import { showConfigReport } from "./show-config.ts";
import { usageOf } from "./usage.ts";

export interface PlannableInvocation {
  deps: Deps;
  flags: Flags;
  path: string;
  /** Positional arguments by name (the command's positionals). */
  args?: Record<string, string>;
}

interface State {
  scope: Scope | null;
  plan: Plan | null;
  result: ExecutionResult | null;
  ctx: RunContext | null;
}

/**
 * The one code path of DESIGN §1: config → plan → validate → dry run stops, or the
 * same plan is executed. Failures become a Report carrying whatever was reached
 * (scope, plan), so even errors come out in the requested format.
 */
export { failedChecks };

export async function runPlannable(cmd: PlannableCommand, inv: PlannableInvocation): Promise<Report> {
  const { deps, flags } = inv;
  // A target selection runs this same pipeline once per scope (src/core/fleet/); --show-config still shows one config.
  if (isFleetRun(flags) && flags["show-config"] !== true) {
    const { runFleet } = await import("./fleet/run.ts");
    return runFleet(cmd, inv, (one) => runPlannable(cmd, one));
  }
  const dryRun = flags["dry-run"] === true;
  const state: State = { scope: null, plan: null, result: null, ctx: null };
  const report = (exit: Report["exit"], extra: Partial<Report> = {}): Report => ({
    command: cmd.name,
    mode: dryRun ? "dry-run" : "apply",
    scope: state.scope,
    plan: state.plan,
    result: state.result,
    exit,
    errors: [],
    view: "plan",
    ...(cmd.readOnly ? { readOnly: true } : {}),
    ...withUsage(state.ctx),
    ...extra,
  });

  try {
    const { resolved, scope } = await loadConfigFor(cmd, deps, flags, String(flags.environment));
    state.scope = scope;
    if (flags["show-config"] === true) {
      const notGiven = cmd.flags.filter((f) => f.required && flags[f.name] === undefined).map((f) => `--${f.name}`);
      return showConfigReport(cmd.name, resolved, scope, notGiven);
    }
    if (flags.out !== undefined && !dryRun) {
      throw usageError([
        { message: "--out saves a plan and needs --dry-run (apply a saved plan with `opsctl apply FILE`)", source: { kind: "flag", name: "--out" } },
      ]);
    }
    if (!dryRun && !cmd.readOnly) refuseUnconfirmed({ config: resolved.config, deps, flags }, scope.environment);
    const ctx = await createContext(cmd, deps, flags, resolved, scope, inv.args);
    state.ctx = ctx;
    state.scope = ctx.scope;

    const plan = async () => {
      ctx.log.debug(`planning ${cmd.name} in ${describeScope(ctx.scope)}`);
      state.plan = await buildPlan(cmd, ctx);
      const failed = failedChecks(state.plan);
      if (failed.length) throw validationError(failed, "Nothing was changed.");
      return state.plan;
    };
    if (dryRun) {
      const planned = await plan();
      if (typeof flags.out === "string") writePlanFile(resolve(deps.cwd, flags.out), planned, deps.redactor);
      return report(planned.actions.length ? "changes" : "ok");
    }
    const onPlan = (p: Plan) => {
      state.plan = p;
    };
    // Apply plans under the scope's lock, so what runs was decided with nobody else changing it.
    // A read-only command changes nothing another run could race with: it takes no lock.
    const applied = cmd.readOnly
      ? await applyPlan(cmd, ctx, await plan(), undefined, onPlan)
      : await withScopeLock(cmd, ctx, "(planning under lock)", async (locks) => applyPlan(cmd, ctx, await plan(), locks, onPlan));
    state.result = applied.result;
    return report(applied.exit, { view: "result" });
  } catch (e) {
    if (!isOpsError(e)) throw e;
    const errors = problemsToErrors(e.exit, e.problems);
    if (!dryRun && state.plan && state.ctx && !state.result) await appendAudit(state.ctx, undefined, { plan: state.plan, result: null, exit: e.exit, errors });
    return report(e.exit, { errors, view: state.plan ? "plan" : "error", hint: e.hint });
  }
}

/** The run's API calls for the report, when it made any. */
export function withUsage(ctx: RunContext | null): Pick<Report, "apiCalls"> {
  const u = usageOf(ctx);
  return u && u.calls > 0 ? { apiCalls: u } : {};
}

/** Discovery, then control-plane validation and guardrails, sealed into one plan. */
export async function buildPlan(cmd: PlannableCommand, ctx: RunContext): Promise<Plan> {
  enterPhase(ctx, "plan");
  const draft = await cmd.plan(ctx);
  const unsealed = {
    schema: PLAN_SCHEMA_ID,
    command: cmd.name,
    scope: ctx.scope,
    parameters: cmd.parameters(ctx),
    createdAt: ctx.deps.now().toISOString(),
    version: ctx.deps.build.version,
    configDigest: ctx.resolved.digest,
    producer: producerOf(cmd),
    actions: draft.actions,
    skipped: draft.skipped,
    checks: draft.checks ?? [],
  } as const;
  // Sealed once, after validation: sealing (a sorted-key copy, stringified and hashed) was a
  // third of opsctl's own CPU in a 50k-volume dry run (in-process profile), and ran twice.
  return validatePlan(cmd, ctx, { ...unsealed, digest: "" });
}

/** Runs the command's control-plane validation and the guardrails over a plan; returns it resealed with the checks. */
export async function validatePlan(cmd: PlannableCommand, ctx: RunContext, plan: Plan): Promise<Plan> {
  enterPhase(ctx, "validate");
  const validation = cmd.validate && plan.actions.length ? await cmd.validate(plan, ctx) : {};
  const keep = plan.checks.filter((c) => !c.name.startsWith("guardrail."));
  return withChecks({ ...plan, checks: keep }, { plan: [...(validation.plan ?? []), ...checkGuardrails(plan, ctx.config)], actions: validation.actions });
}

/** Which build of which command made a plan: a saved plan is applied only by the same. */
export function producerOf(cmd: PlannableCommand): NonNullable<Plan["producer"]> {
  return { command: cmd.name, version: cmd.version, sourceDigest: cmd.sourceDigest() };
}

export function writePlanFile(path: string, plan: Plan, redactor: Redactor): void {
  writeJsonFile(path, plan, redactor, "--out");
}
