import * as v from "valibot";
import type { BuildInfo } from "../core/deps.ts";
import { EXIT_CODES, exitCode } from "../core/exit-codes.ts";
import { PlanSchema, ScopeSchema } from "../core/plan.ts";
import { type ExecutionResult, type Report, summarize } from "../core/report.ts";

export const RESULT_SCHEMA_ID = "opsctl.result/v1";

const ActionResultSchema = v.object({
  id: v.string(),
  resource: v.string(),
  operation: v.string(),
  status: v.picklist(["applied", "already-done", "failed", "skipped", "not-reached"]),
  detail: v.optional(v.string()),
  error: v.optional(
    v.object({ class: v.picklist(["remote", "auth", "validation", "verification", "internal"]), code: v.optional(v.string()), message: v.string() }),
  ),
  outputs: v.optional(v.record(v.string(), v.string())),
  created: v.optional(v.pipe(v.array(v.string()), v.description("Resources the action created, even if it removed them again"))),
  evidence: v.optional(v.pipe(v.record(v.string(), v.unknown()), v.description("What the action measured; covered by evidenceDigest"))),
  durationMs: v.number(),
});

export const ExecutionResultSchema = v.object({
  startedAt: v.string(),
  finishedAt: v.string(),
  interrupted: v.boolean(),
  actions: v.array(ActionResultSchema),
  evidenceDigest: v.optional(v.pipe(v.string(), v.description("sha256 over the plan digest and every action's result and evidence"))),
});

const ApiUsageSchema = v.object({
  calls: v.number(),
  throttled: v.number(),
  waitedMs: v.number(),
  operations: v.array(
    v.object({
      service: v.string(),
      operation: v.string(),
      calls: v.pipe(v.number(), v.description("Requests sent, every retry attempt included")),
      dryRunCalls: v.optional(v.number()),
      throttled: v.pipe(v.number(), v.description("Answers saying the caller was throttled (RequestLimitExceeded, Throttling, ...)")),
      waitedMs: v.pipe(v.number(), v.description("Time spent waiting on opsctl's client-side rate limiter")),
      limit: v.optional(v.object({ capacity: v.number(), refillPerSecond: v.number() })),
    }),
  ),
});

/** The one JSON document on stdout for every command, success or failure (DESIGN §3). */
export const EnvelopeSchema = v.object({
  schema: v.literal(RESULT_SCHEMA_ID),
  command: v.string(),
  mode: v.picklist(["dry-run", "apply", "show-config", "info", "error"]),
  scope: v.nullable(ScopeSchema),
  plan: v.nullable(PlanSchema),
  result: v.pipe(v.unknown(), v.description("Execution result on apply (see ExecutionResult); the command's data for informational commands; null otherwise")),
  summary: v.object({ planned: v.number(), applied: v.number(), failed: v.number(), skipped: v.number(), notReached: v.number() }),
  exit: v.object({ code: v.picklist(EXIT_CODES.map((r) => r.code)), name: v.picklist(EXIT_CODES.map((r) => r.name)) }),
  errors: v.array(v.object({ code: v.string(), message: v.string(), resource: v.optional(v.string()), source: v.optional(v.string()) })),
  version: v.string(),
  apiCalls: v.optional(v.pipe(ApiUsageSchema, v.description("Remote API calls the run made, per operation; absent when it made none"))),
});

export type Envelope = v.InferOutput<typeof EnvelopeSchema>;

export function toEnvelope(report: Report, build: BuildInfo): Envelope {
  const execution = report.mode === "apply" ? (report.result as ExecutionResult | null) : null;
  return {
    schema: RESULT_SCHEMA_ID,
    command: report.command,
    mode: report.mode,
    scope: report.scope,
    plan: report.plan,
    result: report.result ?? null,
    summary: summarize(report.plan, execution),
    exit: { code: exitCode(report.exit) as Envelope["exit"]["code"], name: report.exit },
    errors: report.errors,
    version: build.version,
    ...(report.apiCalls ? { apiCalls: report.apiCalls } : {}),
  };
}
