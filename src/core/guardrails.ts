import type { Config } from "../config/schema.ts";
import { type Check, countDeletions, type Plan } from "./plan.ts";

/** Guardrails are validation (DESIGN §5): a plan that is too large never reaches apply. */
export function checkGuardrails(plan: Plan, config: Config): Check[] {
  const checks: Check[] = [];
  const deletions = countDeletions(plan);
  const maxDel = config.guardrails.maxDeletions;
  checks.push({
    name: "guardrail.maxDeletions",
    status: deletions > maxDel ? "failed" : "passed",
    detail: `${deletions} deletion(s), limit ${maxDel} (guardrails.maxDeletions)`,
  });
  const maxChanges = config.guardrails.maxChanges;
  if (maxChanges !== undefined) {
    checks.push({
      name: "guardrail.maxChanges",
      status: plan.actions.length > maxChanges ? "failed" : "passed",
      detail: `${plan.actions.length} action(s), limit ${maxChanges} (--max-changes / guardrails.maxChanges)`,
    });
  }
  return checks;
}
