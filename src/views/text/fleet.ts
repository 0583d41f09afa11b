import type { FleetScopeResult } from "../../core/fleet/results.ts";
import type { Report } from "../../core/report.ts";
import type { Style } from "../style.ts";
import { table } from "../table.ts";
import { renderPlan } from "./plan.ts";
import { renderResult } from "./result.ts";

/**
 * A run over many scopes, for people: what was selected (and what the blocked list kept
 * out), then each scope under its own heading — who it ran as, its plan or result, its
 * errors — and a summary table last, where a failed or missing scope cannot be missed.
 */
export function renderFleet(report: Report, s: Style): string {
  const fleet = report.fleet;
  if (!fleet) return "";
  const sel = fleet.plan.selection;
  const mode = report.mode === "dry-run" ? "dry run" : "apply";
  const out: string[] = [];
  const criteria = [sel.names.length ? `targets ${sel.names.join(", ")}` : "all targets", ...Object.entries(sel.tags).map(([k, v]) => `tag ${k}=${v}`)].join(
    ", ",
  );
  out.push(`${s.bold(report.command)} — ${mode} — environment ${sel.environment} — ${fleet.scopes.length} scope(s)`);
  out.push(`Selection: ${criteria} from ${sel.source}`);
  for (const b of sel.blocked) out.push(s.yellow(`Blocked: ${b.name} (account ${b.account}): ${b.reason}`));
  out.push(s.dim(`plan ${fleet.plan.digest.slice(0, 19)} over ${fleet.plan.scopes.length} scope section(s)  created ${fleet.plan.createdAt}`));
  for (const sc of fleet.scopes) {
    out.push("", s.bold(`── ${sc.name} ── ${statusText(sc, s)}`), `   ${who(sc)}`);
    if (sc.skipReason) out.push(`   ${sc.skipReason}`);
    const one: Report = { ...report, scope: sc.scope, plan: sc.plan, result: sc.result, errors: sc.errors, fleet: undefined };
    const body = [renderPlan(one, s), renderResult(one, s)].filter(Boolean).join("\n");
    if (body) out.push(indent(body));
    for (const e of sc.errors) out.push(`   ${s.red("error:")} ${e.message}${e.source && !e.message.includes(e.source) ? s.dim(` (${e.source})`) : ""}`);
  }
  out.push("", s.bold("Scopes:"));
  out.push(
    table(
      ["SCOPE", "ACCOUNT/CONTEXT", "REGION", "MODE", "STATUS", "ACTIONS", "APPLIED", "FAILED", "EXIT"],
      fleet.scopes.map((sc) => [
        sc.name,
        sc.identity?.context ?? sc.scope.account ?? "-",
        sc.scope.region ?? "-",
        sc.mode,
        statusText(sc, s),
        String(sc.summary.planned),
        report.mode === "apply" ? String(sc.summary.applied) : "-",
        report.mode === "apply" ? String(sc.summary.failed) : "-",
        exitNumber(sc),
      ]),
    ),
  );
  out.push("", footer(report, s));
  return out.join("\n");
}

function who(sc: FleetScopeResult): string {
  if (sc.kind === "kubernetes") return `context ${sc.identity?.context ?? "?"}`;
  if (!sc.identity) return `account ${sc.scope.account ?? "?"}: identity not established`;
  const chain = sc.identity.roles?.length ? ` via ${sc.identity.roles.join(" → ")}` : "";
  return `account ${sc.identity.account} as ${sc.identity.callerArn}${chain}`;
}

function statusText(sc: FleetScopeResult, s: Style): string {
  const st = sc.status;
  if (st === "failed" || st === "locked" || st === "interrupted" || (st === "skipped" && sc.missing)) return s.red(st);
  if (st === "partial" || st === "planned" || st === "skipped") return s.yellow(st);
  return s.green(st);
}

const CODES: Record<string, string> = { ok: "0", internal: "1", usage: "2", validation: "3", remote: "4", partial: "5", changes: "10", interrupted: "130" };
function exitNumber(sc: FleetScopeResult): string {
  return sc.missing ? "-" : (CODES[sc.exit] ?? sc.exit);
}

function footer(report: Report, s: Style): string {
  const fleet = report.fleet;
  if (!fleet) return "";
  const count = (pred: (x: FleetScopeResult) => boolean) => fleet.scopes.filter(pred).length;
  const bad = count((x) => x.status === "failed" || x.status === "locked" || (x.status === "skipped" && !!x.missing));
  const changes = fleet.scopes.reduce((n, x) => n + (x.status === "planned" ? x.summary.planned : 0), 0);
  const stopped = fleet.stoppedBy === "max-failed" ? ` Stopped starting scopes after ${fleet.maxFailedScopes} failed (--max-failed-scopes).` : "";
  if (report.mode === "dry-run") {
    if (bad) return s.red(`Dry run INCOMPLETE: ${bad} of ${fleet.scopes.length} scope(s) not planned; the plan is missing them.${stopped}`);
    if (!changes) return "Dry run: nothing to change in any scope.";
    return `Dry run: ${changes} change(s) across ${count((x) => x.status === "planned")} scope(s), nothing applied. Save with --out FILE and apply with 'opsctl apply FILE [--scope NAME]…'.`;
  }
  const applied = count((x) => x.status === "applied" || x.status === "partial");
  return `${bad ? s.red(`${bad} scope(s) failed, locked or not started; `) : ""}${applied} scope(s) applied, ${count((x) => x.status === "no-op")} no-op, ${count((x) => x.status === "skipped" && !x.missing)} read-only.${stopped}`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => (l ? `   ${l}` : l))
    .join("\n");
}
