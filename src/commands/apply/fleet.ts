import type { Flags, GroupCommand, PlannableCommand } from "../../core/command.ts";
import type { Deps } from "../../core/deps.ts";
import { OpsError, type Problem, usageError, validationError } from "../../core/errors.ts";
import { type FleetPlan, FleetPlanSchema, fleetDigest, type ScopeSection, sectionDigest } from "../../core/fleet/plan.ts";
import { runPool } from "../../core/fleet/pool.ts";
import { type FleetScopeResult, fleetReport, notStarted, scopeOutcome } from "../../core/fleet/results.ts";
import { bindScope, type ScopeSpec, scopesOf } from "../../core/fleet/scopes.ts";
import { setUpFleet } from "../../core/fleet/setup.ts";
import { problemsToErrors, type Report } from "../../core/report.ts";
import { checkAgeAndVersion, checkSavedPlan, parseOrRefuse } from "../../core/saved-plan.ts";
import { closest } from "../../core/suggest.ts";
import type { Target } from "../../core/targets/model.ts";
import type { ApiBudget } from "../../providers/aws/budget.ts";
import { applySaved, checkProducer, findPlannable } from "./saved.ts";

/** Statuses a section may be applied from (a read-only target's is planned but never applied). */
const APPLICABLE = new Set(["planned", "no-op"]);

/**
 * `opsctl apply FILE` for a multi-scope plan: the top digest must cover the sections'
 * recorded digests, and each chosen section (all, or --scope NAME…) must re-digest to
 * its recorded value; then every chosen scope runs the single-plan apply — identity
 * re-established and checked, its own lock, live re-check, fresh validation — at most
 * --max-scopes at once. The exit code is fleetExit() over the chosen scopes.
 */
export async function applyFleet(raw: unknown, file: string, o: { deps: Deps; flags: Flags; root: GroupCommand; maxAge: string }): Promise<Report> {
  const { deps, flags } = o;
  const plan = checkFleetPlan(raw, file, deps, o.maxAge);
  const cmd = findPlannable(o.root, plan.command);
  if (!cmd) throw validationError([{ message: `${file}: unknown command '${plan.command}' in the plan` }]);
  checkProducer(cmd, plan, file);
  for (const f of ["region", "account", "environment"] as const) {
    if (flags[f] !== undefined)
      throw usageError([
        {
          message: `--${f} confirms a one-scope plan; ${file} holds ${plan.scopes.length} scopes: choose with --scope`,
          source: { kind: "flag", name: `--${f}` },
        },
      ]);
  }
  const chosen = chooseScopes(plan, file, (flags.scope as string[] | undefined) ?? []);
  const environment = plan.selection.environment;
  const recorded = plan.selection.source.startsWith("--targets ") ? plan.selection.source.slice("--targets ".length) : undefined;
  const { spec, maxScopes, maxFailed, budget, sessionName, core } = await setUpFleet(cmd, deps, flags, {
    environment,
    targetsFile: typeof flags.targets === "string" ? flags.targets : recorded,
    applying: true,
    protectedSource: "--yes",
  });

  const pooled = await runPool<ScopeSection, { result: FleetScopeResult; bad: boolean }>(
    chosen,
    { max: maxScopes, ...(maxFailed === undefined ? {} : { maxFailed }), signal: deps.signal, failed: (r) => r.bad },
    async (section) => {
      const result = await applySection(cmd, section, file, { ...o, spec, blocked: spec.blocked, core, sessionName, budget });
      return { result, bad: result.status === "failed" || result.status === "locked" };
    },
  );
  const scopes = pooled.results.map((r, i) => r?.result ?? notStarted(chosen[i] as ScopeSection, pooled.stoppedBy, maxFailed));
  const base: Report = { command: cmd.name, mode: "apply", scope: null, plan: null, result: null, exit: "ok", errors: [], view: "fleet" };
  return fleetReport(base, { plan, scopes, maxScopes, maxFailed, stoppedBy: pooled.stoppedBy, usage: budget.usage() });
}

/** Schema, top digest (the header and the recorded section digests), version and age: each failure is exit 3. */
function checkFleetPlan(raw: unknown, file: string, deps: Deps, maxAge: string): FleetPlan {
  const src = { kind: "plan" as const, name: file };
  const plan = parseOrRefuse(FleetPlanSchema, raw, file);
  const problems: Problem[] = [];
  if (fleetDigest(plan) !== plan.digest) {
    problems.push({
      message: `${file}: digest mismatch: the plan's header or its list of scope digests was changed after it was made; make a new plan`,
      source: src,
    });
  }
  problems.push(...checkAgeAndVersion(plan, file, deps, maxAge));
  if (problems.length) throw new OpsError("validation", problems, { hint: "Nothing was changed." });
  return plan;
}

/** The sections to apply: --scope NAME… (each must exist and re-digest to its recorded digest), or all of a complete plan. */
function chooseScopes(plan: FleetPlan, file: string, names: string[]): ScopeSection[] {
  const byName = new Map(plan.scopes.map((s) => [s.name, s]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length) {
    throw usageError(
      unknown.map((n) => {
        const hint = closest(n, [...byName.keys()]);
        return {
          message: `${file} has no scope '${n}'${hint ? ` (did you mean '${hint}'?)` : ""}; scopes: ${[...byName.keys()].join(", ")}`,
          source: { kind: "flag", name: "--scope" },
        };
      }),
    );
  }
  const chosen = names.length ? [...new Set(names)].map((n) => byName.get(n) as ScopeSection) : plan.scopes;
  const problems: Problem[] = [];
  for (const s of chosen) {
    if (sectionDigest(s) !== s.digest) {
      problems.push({
        message: `${file}: scope ${s.name}: its section was changed after the plan was made (digest mismatch); make a new plan`,
        source: { kind: "plan", name: file, key: `scopes[${plan.scopes.indexOf(s)}]` },
      });
    } else if (!APPLICABLE.has(s.status)) {
      problems.push({
        message: `${file}: scope ${s.name} was not planned (${s.status}${s.errors[0] ? `: ${s.errors[0].message}` : ""}); apply the planned scopes with --scope, or make a new plan`,
        source: { kind: "plan", name: file, key: `scopes[${plan.scopes.indexOf(s)}].status` },
      });
    }
  }
  if (problems.length) throw new OpsError("validation", problems, { hint: "Nothing was changed." });
  return chosen;
}

interface SectionRun {
  deps: Deps;
  flags: Flags;
  root: GroupCommand;
  maxAge: string;
  spec: { targets: Target[] };
  blocked: string[];
  core: Parameters<typeof scopesOf>[1];
  sessionName: string;
  budget: ApiBudget;
}

/** One section: its target as the targets now describe it must still be the one planned; then the single-plan apply. */
async function applySection(cmd: PlannableCommand, section: ScopeSection, file: string, o: SectionRun): Promise<FleetScopeResult> {
  const where = `${file} (scope ${section.name})`;
  const target = o.spec.targets.find((t) => t.name === section.target);
  const placeholder: Target =
    target ??
    ({
      kind: section.kind,
      name: section.target,
      account: section.scope.account ?? "",
      roles: section.identity?.roles ?? [],
      regions: [],
      contexts: [],
      tags: section.tags,
      mode: section.mode,
      source: file,
    } as unknown as Target);
  const base: ScopeSpec = {
    name: section.name,
    target: placeholder,
    ...(section.scope.region ? { region: section.scope.region } : {}),
    ...(section.identity?.context ? { context: section.identity.context } : {}),
    identity: section.identity,
  };
  /** The scope ended before its apply started: with this error (or none, for a skip), as the JSON and text views show it. */
  const ended = (spec: ScopeSpec, e: OpsError | undefined): FleetScopeResult => {
    const exit = e?.exit ?? "ok";
    const errors = e ? problemsToErrors(exit, e.problems) : [];
    const report = { command: cmd.name, mode: "apply" as const, scope: section.scope, plan: section.plan, result: null, exit, errors, view: "error" };
    return scopeOutcome(spec, section.scope.environment, report, false);
  };
  const fail = (exit: "validation" | "remote", message: string) => ended(base, new OpsError(exit, message));
  if (section.mode === "read-only") {
    return { ...ended(base, undefined), status: "skipped", skipReason: "read-only target: planned, never applied" };
  }
  if (!target) return fail("validation", `${where}: target ${section.target} is no longer in the targets; nothing was changed`);
  const changed = targetChanged(target, section);
  if (changed) return fail("validation", `${where}: target ${target.name} changed since the plan was made (${changed}); make a new plan`);
  if (target.kind === "aws" && o.blocked.includes(target.account)) {
    return fail("validation", `${where}: account ${target.account} is now in the blocked list; nothing was changed`);
  }
  if (section.status === "no-op" || !section.plan) {
    return { ...ended(base, undefined), status: "no-op" };
  }
  let bound: ScopeSpec = base;
  if (target.kind === "aws") {
    // The identity is established again (role chain, STS account check) before the scope's apply starts.
    const [s] = await scopesOf({ ...target, regions: [section.scope.region as string] }, o.core, o.sessionName);
    bound = s as ScopeSpec;
    if (bound.failure) return ended(bound, bound.failure);
  }
  let saved: ReturnType<typeof checkSavedPlan>;
  try {
    saved = checkSavedPlan(section.plan, where, o.deps, o.maxAge);
  } catch (e) {
    if (!(e instanceof OpsError)) throw e;
    return ended(base, e);
  }
  const { scope: _s, targets: _t, "max-scopes": _m, "max-failed-scopes": _f, ...rest } = o.flags;
  const report = await applySaved(saved, where, { ...bindScope(bound, o.deps, rest, o.budget), root: o.root });
  return scopeOutcome({ ...bound, identity: bound.identity ?? section.identity }, section.scope.environment, report, false);
}

/** What a target now says that differs from the section it planned (kind, account, role chain). */
function targetChanged(t: Target, s: ScopeSection): string | undefined {
  if (t.kind !== s.kind) return `kind ${s.kind} → ${t.kind}`;
  if (t.kind === "aws") {
    if (t.account !== s.scope.account) return `account ${s.scope.account} → ${t.account}`;
    const planned = s.identity?.roles ?? [];
    if (planned.join(",") !== t.roles.join(",")) return `role chain ${planned.join(" → ") || "(none)"} → ${t.roles.join(" → ") || "(none)"}`;
  }
  if (t.kind === "kubernetes" && s.identity?.context && !t.contexts.includes(s.identity.context)) return `context ${s.identity.context} is no longer listed`;
  return undefined;
}
