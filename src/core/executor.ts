import { awsErrorInfo } from "../providers/aws/errors.ts";
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
  enterPhase(ctx, "apply");
  const startedAt = ctx.deps.now().toISOString();
  const results = new Map<string, ActionResult>();
  const queue = [...plan.actions];
  const total = queue.length;
  let done = 0;

  const runOne = async (action: Action): Promise<ActionResult> => {
    const started = Date.now();
    const base = { id: action.id, resource: action.resource.id, operation: action.operation };
    const elapsed = () => Date.now() - started;
    try {
      const live = await cmd.live(action, ctx, plan);
      if (!live) {
        // Gone already: for a delete that is the desired state (a re-run after a crash).
        if (action.operation === "delete") return { ...base, status: "already-done", detail: "already gone", durationMs: elapsed() };
        return { ...base, status: "skipped", detail: "drifted: the resource no longer exists", durationMs: elapsed() };
      }
      const unmet = unmetPreconditions(action.preconditions, live);
      if (unmet.length) return { ...base, status: "skipped", detail: `drifted: ${unmet.join("; ")}`, durationMs: elapsed() };
      const handler = cmd.apply[action.operation];
      if (!handler) throw new Error(`${cmd.name} has no handler for operation ${action.operation}`);
      const outcome = await handler(action, ctx, plan);
      return {
        ...base,
        status: outcome.status,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        ...(outcome.outputs ? { outputs: outcome.outputs } : {}),
        durationMs: elapsed(),
      };
    } catch (e) {
      // Interrupted while waiting for the rate limiter: the call was never sent.
      if ((e as { code?: string })?.code === "OpsctlRateLimitAborted")
        return { ...base, status: "not-reached", detail: "interrupted before it started", durationMs: elapsed() };
      return { ...base, status: "failed", error: classify(e), durationMs: elapsed() };
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

  const worker = async () => {
    for (let action = queue.shift(); action; action = queue.shift()) {
      const a = action;
      if (ctx.deps.signal.aborted) {
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
      const r = await Promise.race([runOne(a), graceOver.then(() => unknownOutcome(a))]);
      results.set(a.id, r);
      done++;
      if (r.status === "applied" || r.status === "already-done") counts.applied++;
      else if (r.status === "failed") counts.failed++;
      else counts.skipped++;
      const line = `${r.status} ${a.operation} ${a.resource.id} (${done}/${total})${r.error ? `: ${r.error.message}` : r.detail ? `: ${r.detail}` : ""}`;
      if (progress) {
        // One live line on a terminal; a log line per action everywhere else.
        ctx.deps.stderr.write(`\r\u001b[K${done}/${total} done: ${counts.applied} applied, ${counts.failed} failed, ${counts.skipped} skipped${budgetLine()}`);
        if (r.status === "failed") ctx.deps.stderr.write(`\r\u001b[K${line}\n`);
      } else if (r.status === "failed") ctx.log.warn(line);
      else ctx.log.info(line);
    }
  };
  const width = Math.max(1, Math.min(ctx.config.executor.concurrency, total));
  await Promise.all(Array.from({ length: width }, worker));
  if (progress && total) ctx.deps.stderr.write("\r\u001b[K");

  return {
    startedAt,
    finishedAt: ctx.deps.now().toISOString(),
    interrupted: ctx.deps.signal.aborted,
    actions: plan.actions.map((a) => results.get(a.id) as ActionResult),
  };
}

/** DESIGN §6: 0 all done, 5 some applied, 4 none applied because a remote failed, 130 interrupted. */
export function exitForResult(r: ExecutionResult): ExitName {
  if (r.interrupted) return "interrupted";
  const applied = r.actions.filter((a) => a.status === "applied" || a.status === "already-done").length;
  const failed = r.actions.filter((a) => a.status === "failed");
  const notReached = r.actions.filter((a) => a.status === "not-reached").length;
  if (failed.length === 0 && notReached === 0) return "ok";
  if (applied > 0) return "partial";
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
