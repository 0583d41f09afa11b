import { resolve } from "node:path";
import type { ApiBudget } from "../../providers/aws/budget.ts";
import type { Flags, PlannableCommand } from "../command.ts";
import type { Deps } from "../deps.ts";
import { isOpsError, type OpsError, usageError } from "../errors.ts";
import type { ExitName } from "../exit-codes.ts";
import { writeJsonFile } from "../json-stream.ts";
import { type PlannableInvocation, producerOf } from "../pipeline.ts";
import { problemsToErrors, type Report } from "../report.ts";
import type { Selection } from "../targets/model.ts";
import { selectTargets } from "../targets/select.ts";
import { FLEET_PLAN_SCHEMA_ID, type FleetPlan, type FleetSelection, sealFleetPlan, sealSection } from "./plan.ts";
import { runPool } from "./pool.ts";
import { type FleetScopeResult, fieldsOf, fleetReport, notStarted, scopeFieldsOf, scopeOutcome } from "./results.ts";
import { bindScope, type ScopeSpec, scopesOf } from "./scopes.ts";
import { setUpFleet } from "./setup.ts";

/**
 * One command over many scopes (README "Many accounts, regions and clusters"): the
 * selection is resolved from the targets (file or config), each AWS target's role chain
 * is assumed and checked with STS, then every scope runs the same pipeline as a single
 * run — plan, validate, and on apply its own lock and executor — at most --max-scopes at
 * once, all sharing one API budget. The plan holds one sealed section per scope; the
 * exit code is fleetExit() over the scopes.
 */
export async function runFleet(cmd: PlannableCommand, inv: PlannableInvocation, run: (inv: PlannableInvocation) => Promise<Report>): Promise<Report> {
  const { deps, flags } = inv;
  const dryRun = flags["dry-run"] === true;
  const environment = String(flags.environment);
  const base = (exit: ExitName, errors: ReturnType<typeof problemsToErrors>, hint?: string): Report => ({
    command: cmd.name,
    mode: dryRun ? "dry-run" : "apply",
    scope: null,
    plan: null,
    result: null,
    exit,
    errors,
    view: "error",
    ...(hint ? { hint } : {}),
  });
  try {
    for (const f of ["region", "account"] as const) {
      if (flags[f] !== undefined)
        throw usageError([
          { message: `--${f} selects one scope; with a target selection each target gives its own ${f}`, source: { kind: "flag", name: `--${f}` } },
        ]);
    }
    if (flags.out !== undefined && !dryRun) {
      throw usageError([
        { message: "--out saves a plan and needs --dry-run (apply a saved plan with `opsctl apply FILE`)", source: { kind: "flag", name: "--out" } },
      ]);
    }
    const { spec, maxScopes, maxFailed, budget, sessionName, core } = await setUpFleet(cmd, deps, flags, {
      environment,
      targetsFile: typeof flags.targets === "string" ? flags.targets : undefined,
      applying: !dryRun,
      protectedSource: "--environment",
    });
    const selection = selectTargets(spec, {
      names: (flags.target as string[] | undefined) ?? [],
      tags: (flags["target-tag"] as string[] | undefined) ?? [],
      environment,
      source: spec.source,
    });
    refuseKinds(cmd, selection);

    // Identities first (at most --max-scopes targets at once): a target whose chain fails fails all its scopes.
    const expanded = await runPool(selection.targets, { max: maxScopes, signal: deps.signal, failed: () => false }, (t) => scopesOf(t, core, sessionName));
    const specs = expanded.results.flatMap((r) => r ?? []).sort((a, b) => a.name.localeCompare(b.name));

    // Stable order: scopes start sorted by name, so two fleet runs take the per-scope locks in the same order.
    const pooled = await runPool<ScopeSpec, { result: FleetScopeResult; bad: boolean }>(
      specs,
      { max: maxScopes, ...(maxFailed === undefined ? {} : { maxFailed }), signal: deps.signal, failed: (r) => r.bad },
      (s) => runScope(cmd, inv, s, budget, run),
    );
    const scopes: FleetScopeResult[] = pooled.results.map(
      (r, i) => r?.result ?? notStarted({ ...fieldsOf(specs[i] as ScopeSpec, environment), plan: null }, pooled.stoppedBy, maxFailed),
    );
    const plan = fleetPlanOf(cmd, deps, selectionRecord(selection, spec.source, flags), scopes);
    if (dryRun && typeof flags.out === "string") writeJsonFile(resolve(deps.cwd, flags.out), plan, deps.redactor, "--out");
    return fleetReport(base("ok", []), { plan, scopes, maxScopes, maxFailed, stoppedBy: pooled.stoppedBy, usage: budget.usage() });
  } catch (e) {
    if (!isOpsError(e)) throw e;
    return base(e.exit, problemsToErrors(e.exit, e.problems), e.hint);
  }
}

/** A Kubernetes target needs a command that takes a kubeconfig context; an AWS target one that takes a region. */
function refuseKinds(cmd: PlannableCommand, selection: Selection): void {
  const has = (name: string) => cmd.flags.some((f) => f.name === name);
  const problems = selection.targets.flatMap((t) =>
    t.kind === "kubernetes" && !has("context")
      ? [
          {
            message: `target ${t.name} is a Kubernetes target, but ${cmd.name} does not act on kubeconfig contexts`,
            source: { kind: "file" as const, name: t.source },
          },
        ]
      : t.kind === "aws" && !has("region")
        ? [{ message: `target ${t.name} is an AWS target, but ${cmd.name} does not act on AWS regions`, source: { kind: "file" as const, name: t.source } }]
        : [],
  );
  if (problems.length) throw usageError(problems);
}

async function runScope(
  cmd: PlannableCommand,
  inv: PlannableInvocation,
  s: ScopeSpec,
  budget: ApiBudget,
  run: (inv: PlannableInvocation) => Promise<Report>,
): Promise<{ result: FleetScopeResult; bad: boolean }> {
  const environment = String(inv.flags.environment);
  if (s.failure) {
    const result = scopeOutcome(s, environment, failureReport(cmd, inv, s.failure), inv.flags["dry-run"] === true);
    return { result, bad: true };
  }
  const readOnlyTarget = s.target.mode === "read-only" && inv.flags["dry-run"] !== true;
  const { targets: _t, target: _n, "target-tag": _g, out: _o, "max-scopes": _m, "max-failed-scopes": _f, ...rest } = inv.flags;
  // A read-only target is planned, never applied.
  const bound = bindScope(s, inv.deps, { ...rest, ...(readOnlyTarget ? { "dry-run": true } : {}) }, budget);
  const report = await run({ ...inv, ...bound });
  const result = scopeOutcome(s, environment, report, inv.flags["dry-run"] === true, readOnlyTarget);
  return { result, bad: result.status === "failed" || result.status === "locked" };
}

function failureReport(cmd: PlannableCommand, inv: PlannableInvocation, e: OpsError): Report {
  return {
    command: cmd.name,
    mode: inv.flags["dry-run"] === true ? "dry-run" : "apply",
    scope: null,
    plan: null,
    result: null,
    exit: e.exit,
    errors: problemsToErrors(e.exit, e.problems),
    view: "error",
  };
}

function selectionRecord(selection: Selection, source: string, flags: Flags): FleetSelection {
  return {
    environment: String(flags.environment),
    names: selection.criteria.names,
    tags: selection.criteria.tags,
    source,
    blocked: selection.blocked,
  };
}

function fleetPlanOf(cmd: PlannableCommand, deps: Deps, selection: FleetSelection, scopes: FleetScopeResult[]): FleetPlan {
  return sealFleetPlan({
    schema: FLEET_PLAN_SCHEMA_ID,
    command: cmd.name,
    createdAt: deps.now().toISOString(),
    version: deps.build.version,
    producer: producerOf(cmd),
    selection,
    scopes: scopes.map((s) => sealSection({ ...scopeFieldsOf(s), status: s.status, plan: s.plan, errors: s.errors })),
  });
}
