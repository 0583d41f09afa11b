import { awsErrorInfo } from "../providers/aws/errors.ts";
import { canonicalJson, sha256 } from "./canonical.ts";
import type { PlannableCommand, RunContext } from "./command.ts";
import { enterPhase } from "./context.ts";
import { parseDuration } from "./duration.ts";
import { isOpsError } from "./errors.ts";
import type { ExitName } from "./exit-codes.ts";
import type { Action, Plan } from "./plan.ts";
import { unmetPreconditions } from "./preconditions.ts";
import type { ActionResult, ErrorClass, ExecutionResult } from "./report.ts";
import { describeUsage, usageOf } from "./usage.ts";

/**
 * Applies exactly the plan's actions with bounded concurrency. Retries of single
 * calls belong to the provider SDKs; here each action runs once, after its drift
 * check, and ends with one recorded status. After an interrupt nothing new starts.
 */
export async function execute(plan: Plan, cmd: PlannableCommand, ctx: RunContext): Promise<ExecutionResult> {
  enterPhase(ctx, cmd.readOnly ? "read" : "apply");
  const startedAt = ctx.deps.now().toISOString();
  const results = new Map<string, ActionResult>();
  const total = plan.actions.length;
  // Units of work: one action each, or one all-or-nothing group per batch key.
  const queue: Action[][] = cmd.batch ? groupBy(plan.actions, cmd.batch.group) : plan.actions.map((a) => [a]);
  let done = 0;

  /** The drift check of one action: a result when it must not be applied, undefined when it may. */
  const recheck = async (action: Action, started: number): Promise<ActionResult | undefined> => {
    const base = { id: action.id, resource: action.resource.id, operation: action.operation };
    const live = await cmd.live(action, ctx, plan);
    if (!live) {
      // Gone already: for a delete that is the desired state (a re-run after a crash).
      if (action.operation === "delete") return { ...base, status: "already-done", detail: "already gone", durationMs: Date.now() - started };
      return { ...base, status: "skipped", detail: "drifted: the resource no longer exists", durationMs: Date.now() - started };
    }
    const unmet = unmetPreconditions(action.preconditions, live);
    if (unmet.length) return { ...base, status: "skipped", detail: `drifted: ${unmet.join("; ")}`, durationMs: Date.now() - started };
    return undefined;
  };

  const runOne = async (action: Action): Promise<ActionResult> => {
    const started = Date.now();
    const base = { id: action.id, resource: action.resource.id, operation: action.operation };
    const elapsed = () => Date.now() - started;
    try {
      const early = await recheck(action, started);
      if (early) return early;
      const handler = cmd.apply[action.operation];
      if (!handler) throw new Error(`${cmd.name} has no handler for operation ${action.operation}`);
      const outcome = await handler(action, ctx, plan);
      const error =
        outcome.status === "failed"
          ? (outcome.error ?? { class: "internal" as const, message: outcome.detail ?? "failed without a reason (a bug)" })
          : undefined;
      return {
        ...base,
        status: outcome.status,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        ...(error ? { error } : {}),
        ...(outcome.outputs ? { outputs: outcome.outputs } : {}),
        ...(outcome.created ? { created: outcome.created } : {}),
        ...(outcome.evidence ? { evidence: outcome.evidence } : {}),
        durationMs: elapsed(),
      };
    } catch (e) {
      // Interrupted while waiting for the rate limiter: the call was never sent.
      if ((e as { code?: string })?.code === "OpsctlRateLimitAborted")
        return { ...base, status: "not-reached", detail: "interrupted before it started", durationMs: elapsed() };
      return { ...base, status: "failed", error: classify(e), durationMs: elapsed() };
    }
  };

  /** One all-or-nothing group: every action re-checked, then one call for all, one shared outcome. */
  const runGroup = async (group: Action[]): Promise<ActionResult[]> => {
    const batch = cmd.batch;
    if (!batch) return [await runOne(group[0] as Action)];
    const started = Date.now();
    const base = (a: Action) => ({ id: a.id, resource: a.resource.id, operation: a.operation });
    try {
      const early = new Map<string, ActionResult>();
      for (const a of group) {
        const r = await recheck(a, started);
        if (r) early.set(a.id, r);
      }
      const drifted = [...early.values()].filter((r) => r.status !== "already-done");
      if (drifted.length) {
        const names = drifted.map((r) => r.resource).join(", ");
        return group.map(
          (a) =>
            early.get(a.id) ?? {
              ...base(a),
              status: "skipped",
              detail: `not applied: its batch is all-or-nothing and ${names} drifted`,
              durationMs: Date.now() - started,
            },
        );
      }
      const rest = group.filter((a) => !early.has(a.id));
      if (!rest.length) return group.map((a) => early.get(a.id) as ActionResult);
      const outcome = await batch.apply(rest, ctx, plan);
      return group.map(
        (a) =>
          early.get(a.id) ?? {
            ...base(a),
            status: outcome.status,
            ...(outcome.detail ? { detail: outcome.detail } : {}),
            ...(outcome.outputs ? { outputs: outcome.outputs } : {}),
            durationMs: Date.now() - started,
          },
      );
    } catch (e) {
      const error = classify(e);
      return group.map((a) => ({ ...base(a), status: "failed", error, durationMs: Date.now() - started }));
    }
  };

  // After an interrupt, in-flight calls get a bounded grace period; then their outcome is reported as unknown.
  const graceMs = parseDuration(ctx.config.executor.grace) ?? 10_000;
  const graceOver = new Promise<void>((resolve) => {
    ctx.deps.signal.addEventListener("abort", () => (setTimeout(resolve, graceMs) as { unref?: () => void }).unref?.(), { once: true });
  });
  const unknownOutcome = (a: Action): ActionResult => ({
    id: a.id,
    resource: a.resource.id,
    operation: a.operation,
    status: "failed",
    error: {
      class: "remote",
      message: `interrupted while in flight; no answer within the ${ctx.config.executor.grace} grace period, outcome unknown: re-run to converge`,
    },
    durationMs: 0,
  });
  const progress = ctx.deps.stderr.isTTY && ctx.flags.quiet !== true;
  const counts = { applied: 0, failed: 0, skipped: 0 };
  const t0 = Date.now();
  // API calls, throttles and limiter waits so far, and the time left at the rate reached so far.
  const budgetLine = () => {
    const u = usageOf(ctx);
    const leftMs = done ? ((Date.now() - t0) / done) * (total - done) : 0;
    return `${u?.calls ? ` · ${describeUsage(u)}` : ""}${leftMs >= 2000 ? ` · ~${Math.ceil(leftMs / 1000)} s left` : ""}`;
  };

  const record = (a: Action, r: ActionResult) => {
    results.set(a.id, r);
    done++;
    if (r.status === "applied" || r.status === "already-done" || r.status === "partial") counts.applied++;
    else if (r.status === "failed") counts.failed++;
    else counts.skipped++;
    const line = `${r.status} ${a.operation} ${a.resource.id} (${done}/${total})${r.error ? `: ${r.error.message}` : r.detail ? `: ${r.detail}` : ""}`;
    if (progress) {
      // One live line on a terminal; a log line per action everywhere else.
      ctx.deps.stderr.write(`\r\u001b[K${done}/${total} done: ${counts.applied} applied, ${counts.failed} failed, ${counts.skipped} skipped${budgetLine()}`);
      if (r.status === "failed") ctx.deps.stderr.write(`\r\u001b[K${line}\n`);
    } else if (r.status === "failed") ctx.log.warn(line);
    else ctx.log.info(line);
  };

  const worker = async () => {
    for (let unit = queue.shift(); unit; unit = queue.shift()) {
      const group = unit;
      if (ctx.deps.signal.aborted) {
        for (const a of group)
          results.set(a.id, {
            id: a.id,
            resource: a.resource.id,
            operation: a.operation,
            status: "not-reached",
            detail: "interrupted before it started",
            durationMs: 0,
          });
        continue;
      }
      const rs = await Promise.race([runGroup(group), graceOver.then(() => group.map(unknownOutcome))]);
      for (const [i, a] of group.entries()) record(a, rs[i] as ActionResult);
    }
  };
  const width = Math.max(1, Math.min(ctx.config.executor.concurrency, queue.length));
  await Promise.all(Array.from({ length: width }, worker));
  if (progress && total) ctx.deps.stderr.write("\r\u001b[K");

  const out: ExecutionResult = {
    startedAt,
    finishedAt: ctx.deps.now().toISOString(),
    interrupted: ctx.deps.signal.aborted,
    actions: plan.actions.map((a) => results.get(a.id) as ActionResult),
  };
  // Evidence is only worth keeping if it cannot be edited unnoticed: one digest over all of it, tied to the plan.
  if (out.actions.some((a) => a.evidence)) out.evidenceDigest = evidenceDigest(plan.digest, out);
  return out;
}

export function evidenceDigest(planDigest: string, r: Omit<ExecutionResult, "evidenceDigest">): string {
  return `sha256:${sha256(canonicalJson({ planDigest, startedAt: r.startedAt, finishedAt: r.finishedAt, interrupted: r.interrupted, actions: r.actions }))}`;
}

/**
 * DESIGN §6: 0 all done, 5 some applied, 4 none applied because a remote failed, 130
 * interrupted. An action that states what it created changed something only if that is
 * not empty; a failed verification is 3 when nothing was changed, 5 when something was.
 */
export function exitForResult(r: ExecutionResult): ExitName {
  if (r.interrupted) return "interrupted";
  const done = (a: ActionResult) => a.status === "applied" || a.status === "already-done" || a.status === "partial";
  // An action that states what it created changed something only if that is not empty.
  const changed = r.actions.some((a) => (a.created ? a.created.length > 0 : done(a)));
  const failed = r.actions.filter((a) => a.status === "failed");
  const notReached = r.actions.filter((a) => a.status === "not-reached").length;
  const partial = r.actions.some((a) => a.status === "partial");
  if (failed.length === 0 && notReached === 0) return partial ? "partial" : "ok";
  if (failed.some((a) => a.error?.class === "verification")) return changed ? "partial" : "validation";
  if (changed) return "partial";
  return failed.every((a) => a.error?.class === "remote" || a.error?.class === "auth") ? "remote" : "partial";
}

function classify(e: unknown): { class: ErrorClass; code?: string; message: string } {
  if (isOpsError(e)) {
    const cls: ErrorClass = e.exit === "remote" ? "remote" : e.exit === "validation" || e.exit === "usage" ? "validation" : "internal";
    return { class: cls, message: e.message };
  }
  const err = e as { $metadata?: unknown; code?: string; name?: string };
  if (err && (err.$metadata !== undefined || typeof err.code === "string")) {
    const info = awsErrorInfo(e);
    return { class: info.class, code: info.code, message: `${info.code}: ${(info.message.split("\n")[0] ?? "").slice(0, 300)}` };
  }
  return { class: "internal", message: String((e as Error)?.message ?? e) };
}

function groupBy(actions: Action[], key: (a: Action) => string): Action[][] {
  const groups = new Map<string, Action[]>();
  for (const a of actions) {
    const k = key(a);
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  return [...groups.values()];
}
