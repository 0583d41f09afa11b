import * as v from "valibot";
import { canonicalSha256 } from "./canonical.ts";

// The plan is the contract between dry run and apply (DESIGN §5). Its schema is
// generated into docs/schema/plan.json; a breaking change needs opsctl.plan/v2.
export const PLAN_SCHEMA_ID = "opsctl.plan/v1";

const Scalar = v.union([v.string(), v.number(), v.boolean(), v.null()]);
const Attributes = v.record(v.string(), v.union([Scalar, v.array(Scalar), v.record(v.string(), Scalar)]));

export const ResourceSchema = v.object({
  type: v.pipe(v.string(), v.description("Resource type, e.g. aws.ec2.volume")),
  id: v.string(),
  name: v.optional(v.string()),
  attributes: Attributes,
});

export const CheckSchema = v.object({
  name: v.string(),
  status: v.picklist(["passed", "failed", "warning"]),
  detail: v.string(),
});

export const PreconditionSchema = v.object({
  description: v.string(),
  attribute: v.pipe(v.string(), v.description("Attribute of the live resource that is compared")),
  expected: v.union([Scalar, v.array(Scalar)]),
  /** How `expected` is compared: the live value equals it, or is absent/empty. */
  test: v.picklist(["equals", "empty", "absent-or-not-equal"]),
});

export const ActionSchema = v.object({
  id: v.string(),
  resource: ResourceSchema,
  /** create, update, delete, replace, snapshot, rotate, deploy, … : each command names its own verbs. */
  operation: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]*$/, "an operation is a lower-case verb, e.g. delete")),
  reason: v.object({
    summary: v.string(),
    evidence: v.record(v.string(), v.union([Scalar, v.array(Scalar)])),
  }),
  call: v.object({
    service: v.string(),
    operation: v.string(),
    parameters: v.record(v.string(), v.unknown()),
  }),
  /** Work done before the main call, e.g. a snapshot before a delete. */
  steps: v.optional(v.array(v.object({ service: v.string(), operation: v.string(), parameters: v.record(v.string(), v.unknown()) }))),
  checks: v.array(CheckSchema),
  preconditions: v.array(PreconditionSchema),
});

export const SkippedSchema = v.object({
  resource: ResourceSchema,
  reason: v.string(),
  category: v.picklist(["protected", "excluded", "out-of-scope", "not-eligible", "drifted"]),
});

export const ScopeSchema = v.object({
  environment: v.string(),
  region: v.optional(v.string()),
  account: v.optional(v.string()),
  /** What the command acts on inside the environment, e.g. database=db.internal:5432/app (never credentials). */
  target: v.optional(v.string()),
});

export const PlanSchema = v.object({
  schema: v.literal(PLAN_SCHEMA_ID),
  command: v.string(),
  scope: ScopeSchema,
  /** The command's own inputs that shaped discovery (selectors, thresholds); no secrets. */
  parameters: v.record(v.string(), v.unknown()),
  createdAt: v.string(),
  version: v.string(),
  configDigest: v.string(),
  /** The command that made the plan, its version and the digest of its source as built. */
  producer: v.optional(v.object({ command: v.string(), version: v.string(), sourceDigest: v.string() })),
  actions: v.array(ActionSchema),
  skipped: v.array(SkippedSchema),
  checks: v.array(CheckSchema),
  digest: v.string(),
});

export type Resource = v.InferOutput<typeof ResourceSchema>;
export type Check = v.InferOutput<typeof CheckSchema>;
export type Precondition = v.InferOutput<typeof PreconditionSchema>;
export type Action = v.InferOutput<typeof ActionSchema>;
export type Skipped = v.InferOutput<typeof SkippedSchema>;
export type Scope = v.InferOutput<typeof ScopeSchema>;
export type Plan = v.InferOutput<typeof PlanSchema>;
export type Operation = Action["operation"];

/** Digest over everything but the digest itself: any edit to a saved plan changes it. */
export function planDigest(plan: Omit<Plan, "digest">): string {
  const { digest: _ignored, ...rest } = plan as Plan;
  return `sha256:${canonicalSha256(rest)}`;
}

export function sealPlan(plan: Omit<Plan, "digest">): Plan {
  return { ...plan, digest: planDigest(plan) };
}

export function countDeletions(plan: Pick<Plan, "actions">): number {
  return plan.actions.filter((a) => a.operation === "delete" || a.operation === "replace").length;
}
