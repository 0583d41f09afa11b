import type { Validation } from "./command.ts";
import { memoryCheckpoint } from "./memory.ts";
import { type Plan, sealPlan } from "./plan.ts";

/** A plan with more checks recorded (plan-level and per action), resealed. */
export function withChecks(plan: Plan, v: Validation): Plan {
  const actions = plan.actions.map((a, i) => {
    // Every action is copied: in a plan of tens of thousands, the old copies are garbage as we
    // go (memory.ts; about 1 KB per action with the lists it makes).
    if (i % 1024 === 1023) memoryCheckpoint(1024 * 1024);
    return { ...a, checks: [...a.checks, ...(v.actions?.[a.id] ?? [])] };
  });
  const { digest: _old, ...rest } = plan;
  return sealPlan({ ...rest, actions, checks: [...plan.checks, ...(v.plan ?? [])] });
}

export function failedChecks(plan: Plan): { message: string; resource?: string }[] {
  return [
    ...plan.checks.filter((c) => c.status === "failed").map((c) => ({ message: `${c.name}: ${c.detail}` })),
    ...plan.actions.flatMap((a) => a.checks.filter((c) => c.status === "failed").map((c) => ({ message: `${c.name}: ${c.detail}`, resource: a.resource.id }))),
  ];
}
