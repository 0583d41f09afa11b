import * as v from "valibot";
import type { BuildInfo } from "../core/deps.ts";
import { EXIT_CODES, exitCode } from "../core/exit-codes.ts";
import { IdentitySchema, SCOPE_STATUSES, SelectionSchema } from "../core/fleet/plan.ts";
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

const SummarySchema = v.object({ planned: v.number(), applied: v.number(), failed: v.number(), skipped: v.number(), notReached: v.number() });
const ErrorSchema = v.object({ code: v.string(), message: v.string(), resource: v.optional(v.string()), source: v.optional(v.string()) });
const ExitSchema = v.object({ code: v.picklist(EXIT_CODES.map((r) => r.code)), name: v.picklist(EXIT_CODES.map((r) => r.name)) });

/** A run over many scopes (a target selection): the multi-scope plan's digest and how each scope ended. */
const FleetSchema = v.object({
  digest: v.pipe(v.string(), v.description("Digest of the multi-scope plan (opsctl.fleet-plan/v1) over its sorted scope digests")),
  selection: SelectionSchema,
  maxScopes: v.number(),
  maxFailedScopes: v.optional(v.number()),
  stoppedBy: v.optional(v.picklist(["max-failed", "signal"])),
  scopes: v.array(
    v.object({
      name: v.string(),
      target: v.string(),
      kind: v.picklist(["aws", "kubernetes"]),
      mode: v.picklist(["write", "read-only"]),
      tags: v.record(v.string(), v.string()),
      scope: ScopeSchema,
      identity: v.nullable(IdentitySchema),
      status: v.pipe(v.picklist(SCOPE_STATUSES), v.description("planned, no-op, applied, partial, failed, locked, skipped or interrupted")),
      exit: v.pipe(ExitSchema, v.description("What this scope alone would have exited with")),
      skipReason: v.optional(v.string()),
      missing: v.optional(v.pipe(v.boolean(), v.description("Not started: the run is missing this scope"))),
      digest: v.optional(v.pipe(v.string(), v.description("This scope's section digest in the multi-scope plan"))),
      plan: v.nullable(PlanSchema),
      result: v.nullable(v.unknown()),
      summary: SummarySchema,
      errors: v.array(ErrorSchema),
      apiCalls: v.optional(ApiUsageSchema),
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
  summary: SummarySchema,
  exit: ExitSchema,
  errors: v.array(ErrorSchema),
  version: v.string(),
  apiCalls: v.optional(v.pipe(ApiUsageSchema, v.description("Remote API calls the run made, per operation; absent when it made none"))),
  fleet: v.optional(v.pipe(FleetSchema, v.description("A run over many scopes (--targets/--target/--target-tag); scope and plan are null then"))),
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
    summary: report.fleet ? fleetSummary(report) : summarize(report.plan, execution),
    exit: exitOf(report.exit),
    errors: report.errors,
    version: build.version,
    ...(report.apiCalls ? { apiCalls: report.apiCalls } : {}),
    ...(report.fleet ? { fleet: fleetOf(report) } : {}),
  };
}

function exitOf(name: Report["exit"]): Envelope["exit"] {
  return { code: exitCode(name) as Envelope["exit"]["code"], name };
}

function fleetSummary(report: Report): Envelope["summary"] {
  const total = { planned: 0, applied: 0, failed: 0, skipped: 0, notReached: 0 };
  for (const s of report.fleet?.scopes ?? []) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += s.summary[k];
  return total;
}

function fleetOf(report: Report): NonNullable<Envelope["fleet"]> {
  const f = report.fleet as NonNullable<Report["fleet"]>;
  const digests = new Map(f.plan.scopes.map((s) => [s.name, s.digest]));
  return {
    digest: f.plan.digest,
    selection: f.plan.selection,
    maxScopes: f.maxScopes,
    ...(f.maxFailedScopes === undefined ? {} : { maxFailedScopes: f.maxFailedScopes }),
    ...(f.stoppedBy ? { stoppedBy: f.stoppedBy } : {}),
    scopes: f.scopes.map((s) => ({ ...s, exit: exitOf(s.exit), ...(digests.has(s.name) ? { digest: digests.get(s.name) as string } : {}) })),
  };
}
