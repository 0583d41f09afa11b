import type { ExitName } from "../exit-codes.ts";
import type { Plan, Scope } from "../plan.ts";
import { type ErrorEntry, type ExecutionResult, type Report, type Summary, summarize } from "../report.ts";
import type { ApiUsage } from "../usage.ts";
import { fleetExit } from "./exit.ts";
import type { FleetPlan, ScopeIdentityRecord, ScopeStatus } from "./plan.ts";
import type { ScopeSpec } from "./scopes.ts";

/** How one scope of a multi-scope run ended (JSON: `fleet.scopes[]`). */
export interface FleetScopeResult {
  name: string;
  target: string;
  kind: "aws" | "kubernetes";
  mode: "write" | "read-only";
  tags: Record<string, string>;
  scope: Scope;
  identity: ScopeIdentityRecord | null;
  status: ScopeStatus;
  /** What this scope alone would have exited with. */
  exit: ExitName;
  /** Why a scope was skipped (read-only target at apply, not started after failures or an interrupt). */
  skipReason?: string;
  /** A skipped scope the run is missing (not started): the run cannot be complete. */
  missing?: boolean;
  plan: Plan | null;
  result: ExecutionResult | null;
  summary: Summary;
  errors: ErrorEntry[];
  apiCalls?: ApiUsage;
}

/** What a multi-scope run adds to its report. */
export interface FleetReport {
  plan: FleetPlan;
  scopes: FleetScopeResult[];
  maxScopes: number;
  maxFailedScopes?: number;
  stoppedBy?: "max-failed" | "signal";
}

export function scopeOf(s: ScopeSpec, environment: string): Scope {
  return {
    environment,
    ...(s.region ? { region: s.region } : {}),
    ...(s.target.kind === "aws" ? { account: s.target.account } : {}),
    ...(s.context ? { target: `context=${s.context}` } : {}),
  };
}

function statusOf(report: Report, dryRun: boolean): ScopeStatus {
  switch (report.exit) {
    case "ok": {
      if (!report.plan?.actions.length) return "no-op";
      return dryRun ? "planned" : "applied";
    }
    case "changes":
      return "planned";
    case "partial":
      return "partial";
    case "interrupted":
      return "interrupted";
    default:
      return report.errors.some((e) => e.resource?.startsWith("lock:")) ? "locked" : "failed";
  }
}

/** One scope's report, as a section of the multi-scope result. */
export function scopeOutcome(s: ScopeSpec, environment: string, report: Report, dryRun: boolean, readOnlyTarget = false): FleetScopeResult {
  let status = statusOf(report, dryRun || readOnlyTarget);
  const planned = status === "planned" || status === "no-op";
  if (readOnlyTarget && planned) status = "skipped";
  const result = report.mode === "apply" ? ((report.result as ExecutionResult | null) ?? null) : null;
  return {
    ...fieldsOf(s, environment),
    ...(report.scope ? { scope: report.scope } : {}),
    status,
    exit: report.exit,
    ...(status === "skipped" ? { skipReason: "read-only target: planned, never applied" } : {}),
    plan: report.plan,
    result,
    summary: summarize(report.plan, result),
    errors: report.errors,
    ...(report.apiCalls ? { apiCalls: report.apiCalls } : {}),
  };
}

/** Who a scope is, as every section and result names it. */
export type ScopeFields = Pick<FleetScopeResult, "name" | "target" | "kind" | "mode" | "tags" | "scope" | "identity">;

export function fieldsOf(s: ScopeSpec, environment: string): ScopeFields {
  return {
    name: s.name,
    target: s.target.name,
    kind: s.target.kind,
    mode: s.target.mode,
    tags: s.target.tags,
    scope: scopeOf(s, environment),
    identity: s.identity,
  };
}

/** The fields that name a scope, picked from what carries them and more (a result, a section). */
export function scopeFieldsOf(s: ScopeFields): ScopeFields {
  return { name: s.name, target: s.target, kind: s.kind, mode: s.mode, tags: s.tags, scope: s.scope, identity: s.identity };
}

/**
 * A scope that never started: after --max-failed-scopes failures (stoppedBy "max-failed"),
 * or after SIGINT/SIGTERM ("signal"). A planned scope of a saved plan keeps its plan; its
 * actions count as not reached.
 */
export function notStarted(
  s: ScopeFields & Pick<FleetScopeResult, "plan">,
  stoppedBy: "max-failed" | "signal" | undefined,
  maxFailed: number | undefined,
): FleetScopeResult {
  const interrupted = stoppedBy === "signal";
  const n = s.plan?.actions.length ?? 0;
  return {
    ...scopeFieldsOf(s),
    status: "skipped",
    exit: interrupted ? "interrupted" : "remote",
    skipReason: interrupted ? "not started: the run was interrupted" : `not started: ${maxFailed} scope(s) failed (--max-failed-scopes ${maxFailed})`,
    missing: true,
    plan: s.plan,
    result: null,
    summary: { planned: n, applied: 0, failed: 0, skipped: 0, notReached: n },
    errors: [],
  };
}

/**
 * The report of a run over many scopes (a direct run or `apply FILE`): one exit code from
 * the scopes' ends (fleetExit), every scope's errors named by scope, the run's API calls.
 */
export function fleetReport(
  base: Report,
  o: {
    plan: FleetPlan;
    scopes: FleetScopeResult[];
    maxScopes: number;
    maxFailed: number | undefined;
    stoppedBy: "max-failed" | "signal" | undefined;
    usage: ApiUsage;
  },
): Report {
  return {
    ...base,
    exit: fleetExit(o.scopes.map((s) => ({ status: s.status, exit: s.exit, missing: s.missing }))),
    errors: scopeErrors(o.scopes),
    view: "fleet",
    fleet: {
      plan: o.plan,
      scopes: o.scopes,
      maxScopes: o.maxScopes,
      ...(o.maxFailed === undefined ? {} : { maxFailedScopes: o.maxFailed }),
      ...(o.stoppedBy ? { stoppedBy: o.stoppedBy } : {}),
    },
    ...(o.usage.calls ? { apiCalls: o.usage } : {}),
  };
}

/** Every scope's errors, named by scope, for the run's own errors (stderr, and `errors` in JSON). */
export function scopeErrors(scopes: FleetScopeResult[]): ErrorEntry[] {
  return scopes.flatMap((s) => s.errors.map((e) => ({ ...e, message: `scope ${s.name}: ${e.message}` })));
}
