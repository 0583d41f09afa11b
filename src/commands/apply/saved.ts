import type { ResolvedConfig } from "../../config/resolve.ts";
import { applyPlan, refuseUnconfirmed, withScopeLock } from "../../core/apply.ts";
import { appendAudit } from "../../core/audit.ts";
import type { Flags, GroupCommand, OpsCommand, PlannableCommand, RunContext } from "../../core/command.ts";
import { createContext, loadConfigFor } from "../../core/context.ts";
import type { Deps } from "../../core/deps.ts";
import { describeSource, isOpsError, OpsError, type Problem, validationError } from "../../core/errors.ts";
import { failedChecks, producerOf, validatePlan, withUsage } from "../../core/pipeline.ts";
import type { Plan, Scope } from "../../core/plan.ts";
import { unmetPreconditions } from "../../core/preconditions.ts";
import { type ExecutionResult, problemsToErrors, type Report } from "../../core/report.ts";
import { reconcileScope } from "../../core/saved-plan.ts";
import { describeScope } from "../../core/scope-text.ts";
import { callerAccount } from "../../providers/aws/context.ts";

/**
 * Applies one checked plan/v1 (a plan file, or one scope's section of a multi-scope plan):
 * the producer check, the scope confirmed against flags and config, then under the
 * scope's lock a live re-check of every precondition and a fresh validation, and the
 * same mutation boundary as a direct run.
 */
export async function applySaved(saved: Plan, file: string, { deps, flags, root }: { deps: Deps; flags: Flags; root: GroupCommand }): Promise<Report> {
  const state: { plan: Plan | null; result: ExecutionResult | null; ctx: RunContext | null } = { plan: saved, result: null, ctx: null };
  const report = (exit: Report["exit"], extra: Partial<Report> = {}): Report => ({
    command: state.plan?.command ?? "apply",
    mode: "apply",
    scope: state.plan?.scope ?? null,
    plan: state.plan,
    result: state.result,
    exit,
    errors: [],
    view: state.result ? "result" : state.plan ? "plan" : "error",
    ...withUsage(state.ctx),
    ...extra,
  });
  try {
    const cmd = findPlannable(root, saved.command);
    if (!cmd) throw validationError([{ message: `${file}: unknown command '${saved.command}' in the plan` }]);
    checkProducer(cmd, saved, file);
    const { resolved, scope: configScope } = await loadConfigFor(
      cmd,
      deps,
      {
        config: flags.config,
        concurrency: flags.concurrency,
        "lock-timeout": flags["lock-timeout"],
        // Scope flags confirm the plan's scope (checked below); as the top layer they also stand for config's
        // (one scope of a multi-scope plan: its target's region and account, whatever config says).
        ...(flags.region !== undefined ? { region: flags.region } : {}),
        ...(flags.account !== undefined ? { account: flags.account } : {}),
        // One scope of a multi-scope plan on Kubernetes: its kubeconfig context (and file).
        ...(flags.context !== undefined ? { context: flags.context } : {}),
        ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
      },
      saved.scope.environment,
    );
    const scope = confirmScope(file, saved, flags, resolved, configScope);
    if (!cmd.readOnly) refuseUnconfirmed({ config: resolved.config, deps, flags }, scope.environment);
    const ctx = await createContext(cmd, deps, flags, resolved, scope);
    state.ctx = ctx;
    if (ctx.scope.target !== saved.scope.target) {
      throw validationError([
        { message: `${file}: the scope no longer resolves the same: plan has ${describeScope(saved.scope)}, config now gives ${describeScope(ctx.scope)}` },
      ]);
    }
    if (resolved.digest !== saved.configDigest)
      ctx.log.warn(`configuration changed since ${file} was made (digest ${saved.configDigest.slice(0, 19)} → ${resolved.digest.slice(0, 19)})`);

    const run = async (locks: Parameters<typeof applyPlan>[3]) => {
      await recheck(cmd, ctx, saved, file);
      return applyPlan(cmd, ctx, saved, locks, (p) => {
        state.plan = p;
      });
    };
    // A read-only command (evidence collection) takes no lock, as when it runs directly.
    const applied = cmd.readOnly ? await run(undefined) : await withScopeLock(cmd, ctx, saved.digest, run);
    state.result = applied.result;
    return report(applied.exit);
  } catch (e) {
    if (!isOpsError(e)) throw e;
    const errors = problemsToErrors(e.exit, e.problems);
    if (state.plan && state.ctx && !state.result) await appendAudit(state.ctx, undefined, { plan: state.plan, result: null, exit: e.exit, errors });
    return report(e.exit, { errors, hint: e.hint });
  }
}

/** Plannable commands anywhere in the registry (team commands may sit in a group). */
export function findPlannable(node: OpsCommand, name: string): PlannableCommand | undefined {
  if (node.kind === "plannable") return node.name === name ? node : undefined;
  if (node.kind !== "group") return undefined;
  for (const child of Object.values(node.subCommands)) {
    const hit = findPlannable(child, name);
    if (hit) return hit;
  }
  return undefined;
}

/** A plan is applied only by the build of the command that made it (its version and source digest). */
export function checkProducer(cmd: PlannableCommand, saved: Pick<Plan, "producer">, file: string): void {
  const mine = producerOf(cmd);
  const theirs = saved.producer;
  if (!theirs) return; // plans from before producers were recorded carry only opsctl's version, checked already
  const problems: Problem[] = [];
  if (theirs.version !== mine.version) {
    problems.push({ message: `${file}: made by ${cmd.name} ${theirs.version}, this binary has ${cmd.name} ${mine.version}; make a new plan` });
  } else if (theirs.sourceDigest !== mine.sourceDigest) {
    problems.push({
      message: `${file}: made by a build of ${cmd.name} whose source differs from this one (${theirs.sourceDigest.slice(0, 19)} ≠ ${mine.sourceDigest.slice(0, 19)}); make a new plan with this binary`,
    });
  }
  if (problems.length) throw validationError(problems, "Nothing was changed.");
}

/**
 * The plan's scope, confirmed: a scope flag given to apply, or a value the config now
 * resolves, must equal the plan's (flags are checked first, so the message names them).
 */
function confirmScope(file: string, saved: Plan, flags: Flags, resolved: ResolvedConfig, configScope: Scope): Scope {
  const flag = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
  reconcileScope(file, saved.scope, { environment: flag("environment"), region: flag("region"), account: flag("account") }, (k) => `flag --${k}`);
  const configSource = (k: string) => {
    const entry = resolved.entries.find((e) => e.key === k);
    return entry ? describeSource(entry.source) : "config";
  };
  return reconcileScope(file, saved.scope, { region: configScope.region, account: configScope.account }, configSource);
}

/** Under the lock: every precondition must still hold before the first mutation, then the control plane validates again. */
async function recheck(cmd: PlannableCommand, ctx: RunContext, saved: Plan, file: string): Promise<void> {
  await confirmAccount(cmd, ctx, saved, file);
  const drifted: Problem[] = [];
  const present: Plan["actions"] = [];
  for (const a of saved.actions) {
    const live = await liveOrRemote(cmd, a, ctx, saved);
    const unmet = live ? unmetPreconditions(a.preconditions, live) : a.operation === "delete" ? [] : ["the resource no longer exists"];
    if (unmet.length) drifted.push({ message: `${a.id}: ${unmet.join("; ")}`, resource: a.resource.id });
    // A resource a finished delete already removed needs no dry-run validation.
    if (live) present.push(a);
  }
  if (drifted.length) throw validationError(drifted, "The plan is stale: nothing was changed. Make a new plan.");
  const revalidated = await validatePlan(cmd, ctx, { ...saved, actions: present });
  const failed = failedChecks(revalidated);
  if (failed.length) throw validationError(failed, `${file}: nothing was changed.`);
}

/**
 * A plan whose credentials were checked against its account when it was made (its
 * `account` check) is checked again before anything is read: applied with another
 * account's credentials, none of its resources would be found, and deletions would be
 * reported as already done while nothing was deleted where the plan was made.
 */
async function confirmAccount(cmd: PlannableCommand, ctx: RunContext, saved: Plan, file: string): Promise<void> {
  const expected = saved.scope.account;
  if (!expected || !saved.checks.some((c) => c.name === "account" && c.status === "passed")) return;
  // Commands that check their account do it through the sts provider (built-in ones all do).
  if (!cmd.providers.some((p) => (typeof p === "string" ? p : p.name) === "sts")) return;
  const actual = await callerAccount(ctx);
  if (actual !== expected) {
    throw validationError([{ message: `${file}: the credentials belong to account ${actual}, not the plan's account ${expected}` }], "Nothing was changed.");
  }
}

/**
 * Re-reads one resource for the drift check. A remote failure here (unreachable,
 * throttled, credentials rejected) is exit 4 with nothing changed, not an internal
 * error: an SDK or socket error (it carries $metadata or a string code) becomes a
 * remote OpsError; anything else is still a bug.
 */
async function liveOrRemote(cmd: PlannableCommand, a: Plan["actions"][number], ctx: RunContext, plan: Plan) {
  try {
    return await cmd.live(a, ctx, plan);
  } catch (e) {
    const err = e as { $metadata?: unknown; code?: unknown; name?: string; message?: string };
    if (isOpsError(e) || !(err && (err.$metadata !== undefined || typeof err.code === "string"))) throw e;
    const what = `${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${String(err.message ?? e)
      .split("\n")[0]
      ?.slice(0, 300)}`;
    throw new OpsError("remote", [{ message: `cannot re-read ${a.resource.id} before applying: ${what}`, resource: a.resource.id }], { cause: e });
  }
}
