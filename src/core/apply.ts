import { hostname, userInfo } from "node:os";
import { createStyle } from "../views/style.ts";
import { renderPlan } from "../views/text/plan.ts";
import { appendAudit } from "./audit.ts";
import { failedChecks, withChecks } from "./checks.ts";
import type { PlannableCommand, RunContext } from "./command.ts";
import { enterPhase, useColor } from "./context.ts";
import { parseDuration } from "./duration.ts";
import { OpsError, usageError, validationError } from "./errors.ts";
import { execute, exitForResult } from "./executor.ts";
import type { ExitName } from "./exit-codes.ts";
import { openLocks } from "./lock/open.ts";
import { guardStore, type LockBackend, scopeKey } from "./lock/types.ts";
import type { Plan } from "./plan.ts";
import type { ExecutionResult } from "./report.ts";

/** A protected environment without --yes: refused before anything is contacted, unless a person can confirm. */
export function refuseUnconfirmed(ctx: Pick<RunContext, "config" | "deps" | "flags">, environment: string): void {
  if (ctx.config.protectedEnvironments.includes(environment) && ctx.flags.yes !== true && !ctx.deps.stdinIsTTY) {
    throw usageError([
      {
        message: `environment '${environment}' is protected: pass --yes to apply (or run on a terminal and type its name)`,
        source: { kind: "flag", name: "--environment" },
      },
    ]);
  }
}

/**
 * Holds the scope's lock around an apply: taken before planning (or before a saved
 * plan is re-checked) so the plan that runs is the one made under the lock, released
 * however the apply ends. Dry runs never come here.
 */
export async function withScopeLock<T>(cmd: PlannableCommand, ctx: RunContext, planDigest: string, fn: (locks: LockBackend) => Promise<T>): Promise<T> {
  const locks = await openLocks(ctx);
  try {
    const holder = {
      id: scopeKey(cmd.name, ctx.scope),
      pid: process.pid,
      host: hostname(),
      user: currentUser(ctx.deps.env),
      since: ctx.deps.now().toISOString(),
      command: cmd.name,
      planDigest,
    };
    const lease = await guardStore(locks.name, `take lock ${holder.id}`, () => locks.acquire(holder, parseDuration(ctx.config.lock.timeout) ?? 0));
    ctx.log.debug(`lock ${holder.id} taken (${locks.name})`);
    try {
      return await fn(locks);
    } finally {
      await lease.release().catch((e) => ctx.log.warn(`could not release lock ${holder.id}: ${(e as Error).message}`));
    }
  } finally {
    await locks.close().catch(() => {});
  }
}

/**
 * The mutation boundary, shared by `<command>` and `opsctl apply FILE`: confirm on a
 * terminal if needed, execute exactly the plan's actions, append the audit record.
 */
export async function applyPlan(
  cmd: PlannableCommand,
  ctx: RunContext,
  reviewed: Plan,
  /** The scope's lock store (for the audit copy); none for a read-only command, which takes no lock. */
  locks: LockBackend | undefined,
  onPlan: (plan: Plan) => void = () => {},
): Promise<{ result: ExecutionResult; exit: ExitName }> {
  let plan = reviewed;
  const env = plan.scope.environment;
  if (!cmd.readOnly && ctx.config.protectedEnvironments.includes(env) && ctx.flags.yes !== true && plan.actions.length) {
    // A person confirms what they have seen: the plan goes to the terminal first (stdout keeps the final result).
    const preview = { command: cmd.name, mode: "apply" as const, scope: plan.scope, plan, result: null, exit: "ok" as const, errors: [], view: "plan" };
    ctx.deps.stderr.write(`${renderPlan(preview, createStyle(useColor(ctx.deps, ctx.flags), { cwd: ctx.deps.cwd, home: ctx.deps.env.HOME }))}\n\n`);
    const answer = await ctx.deps.prompt(
      `About to apply ${plan.actions.length} action(s) to protected environment '${env}'. Type the environment name to continue: `,
    );
    if (answer?.trim() !== env) throw new OpsError("usage", [{ message: `confirmation did not match '${env}'; nothing was changed` }]);
  }
  if (cmd.prepare && plan.actions.length) {
    // Apply-only work outside the targets (ordering a certificate): its checks still stop the run before any target changes.
    enterPhase(ctx, cmd.readOnly ? "read" : "apply");
    plan = withChecks(plan, await cmd.prepare(plan, ctx));
    onPlan(plan);
    const failed = failedChecks(plan);
    if (failed.length) throw validationError(failed, "Nothing was changed.");
  }
  const result = await execute(plan, cmd, ctx);
  if (cmd.finish) {
    const finished = await cmd.finish(plan, ctx, result);
    if (finished.outputs) result.outputs = finished.outputs;
  }
  const exit = exitForResult(result);
  await appendAudit(ctx, locks, { plan, result, exit });
  return { result, exit };
}

export function currentUser(env: Record<string, string | undefined>): string {
  const fromEnv = env.USER || env.LOGNAME || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    const name = userInfo().username;
    // Bun answers "unknown" where it cannot look the user up; the uid is more useful then.
    if (name && name !== "unknown") return name;
  } catch {
    // no passwd entry (containers)
  }
  return `uid ${process.getuid?.() ?? "?"}`;
}
