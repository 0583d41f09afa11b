import type { Plan } from "../../core/plan.ts";
import type { Report } from "../../core/report.ts";
import { describeScope } from "../../core/scope-text.ts";
import type { Style } from "../style.ts";
import { table } from "../table.ts";

export function renderPlan(report: Report, s: Style): string {
  const plan = report.plan;
  if (!plan) return "";
  const out: string[] = [];
  const mode = report.mode === "dry-run" ? "dry run" : "apply";
  out.push(`${s.bold(report.command)} — ${mode} — ${describeScope(plan.scope)}`);
  out.push(s.dim(`plan ${plan.digest.slice(0, 19)}  created ${plan.createdAt}  opsctl ${plan.version}`));
  out.push("");
  if (plan.actions.length) {
    out.push(s.bold(`Actions (${plan.actions.length}):`));
    out.push(
      table(
        ["#", "OPERATION", "RESOURCE", "NAME", "REASON"],
        plan.actions.map((a, i) => [String(i + 1), operationText(a.operation, a.steps, s), a.resource.id, a.resource.name ?? "-", a.reason.summary]),
      ),
    );
  } else {
    out.push("No changes: nothing matched.");
  }
  if (plan.skipped.length) {
    out.push("", s.bold(`Skipped (${plan.skipped.length}):`));
    out.push(
      table(
        ["RESOURCE", "NAME", "WHY"],
        plan.skipped.map((k) => [k.resource.id, k.resource.name ?? "-", `${k.category}: ${k.reason}`]),
      ),
    );
  }
  out.push("", checksLine(plan, s));
  return out.join("\n");
}

function operationText(op: string, steps: Plan["actions"][number]["steps"], s: Style): string {
  // A step or two reads as a chain (snapshot+delete); a longer sequence as a count (the JSON plan lists every call).
  const many = (steps?.length ?? 0) > 2;
  const pre = steps?.length && !many ? `${steps.map((x) => x.operation.replace(/^Create/, "").toLowerCase()).join("+")}+` : "";
  const text = many ? `${op} (${(steps?.length ?? 0) + 1} calls)` : `${pre}${op}`;
  return op === "delete" ? s.red(text) : s.yellow(text);
}

function checksLine(plan: Plan, s: Style): string {
  const all = [...plan.checks, ...plan.actions.flatMap((a) => a.checks.map((c) => ({ ...c, name: `${a.resource.id} ${c.name}` })))];
  const failed = all.filter((c) => c.status === "failed");
  const passed = all.filter((c) => c.status === "passed").length;
  // Warnings are shown once per distinct check (many actions often share one).
  const warnings = new Map<string, number>();
  for (const c of [...plan.checks, ...plan.actions.flatMap((a) => a.checks)].filter((c) => c.status === "warning")) {
    const key = `${c.name}: ${c.detail}`;
    warnings.set(key, (warnings.get(key) ?? 0) + 1);
  }
  const warned = [...warnings].map(([text, n]) => `  ${s.yellow("!")} ${text}${n > 1 ? ` (${n} actions)` : ""}`);
  const head = `Checks: ${passed} passed, ${failed.length} failed${warnings.size ? `, ${[...warnings.values()].reduce((x, y) => x + y, 0)} warning(s)` : ""}`;
  if (!failed.length) return [s.green(head), ...warned].join("\n");
  return [s.red(head), ...failed.map((c) => `  ${s.red("✗")} ${c.name}: ${c.detail}`), ...warned].join("\n");
}

export function planFooter(report: Report): string {
  const plan = report.plan;
  if (!plan || report.mode !== "dry-run" || report.errors.length) return "";
  if (!plan.actions.length) return report.readOnly ? "Dry run: nothing to read." : "Dry run: nothing to change.";
  if (report.readOnly) return `Dry run: ${plan.actions.length} action(s) planned, nothing read or written. Run without --dry-run to run them.`;
  return `Dry run: ${plan.actions.length} change(s), nothing applied. Run without --dry-run to apply, or save with --out FILE and use 'opsctl apply FILE'.`;
}
