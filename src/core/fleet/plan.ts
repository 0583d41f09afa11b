import * as v from "valibot";
import { canonicalSha256 } from "../canonical.ts";
import { PlanSchema, ScopeSchema } from "../plan.ts";

// A plan over many scopes (accounts × regions, Kubernetes contexts): one section per
// scope, each with the identity it ran as, its own plan/v1 and its own digest, and a
// top-level digest over the header and the sorted section digests. A subset can be
// applied: each chosen section is re-digested and must be one the top digest covers.
export const FLEET_PLAN_SCHEMA_ID = "opsctl.fleet-plan/v1";

export const SCOPE_STATUSES = ["planned", "no-op", "applied", "partial", "failed", "locked", "skipped", "interrupted"] as const;
export type ScopeStatus = (typeof SCOPE_STATUSES)[number];

export const IdentitySchema = v.object({
  /** AWS: the account STS reports for the scope's credentials (checked against the target's account before anything else). */
  account: v.optional(v.string()),
  /** AWS: the caller ARN STS reports (the last role's session). */
  callerArn: v.optional(v.string()),
  /** AWS: the role chain, assumed in order. */
  roles: v.optional(v.array(v.string())),
  /** Kubernetes: the kubeconfig context. */
  context: v.optional(v.string()),
});

export const ScopeSectionSchema = v.object({
  /** `<target>/<region>` or `<target>/<context>`: unique in the plan. */
  name: v.string(),
  target: v.string(),
  kind: v.picklist(["aws", "kubernetes"]),
  /** read-only targets are planned, never applied. */
  mode: v.picklist(["write", "read-only"]),
  tags: v.record(v.string(), v.string()),
  scope: ScopeSchema,
  identity: v.nullable(IdentitySchema),
  status: v.picklist(SCOPE_STATUSES),
  /** The scope's own plan (null when it failed before a plan existed). */
  plan: v.nullable(PlanSchema),
  errors: v.array(v.object({ code: v.string(), message: v.string(), resource: v.optional(v.string()), source: v.optional(v.string()) })),
  digest: v.string(),
});

export const SelectionSchema = v.object({
  environment: v.string(),
  names: v.array(v.string()),
  tags: v.record(v.string(), v.string()),
  /** Where the targets came from: `--targets FILE` or the config. */
  source: v.string(),
  blocked: v.array(v.object({ name: v.string(), account: v.string(), reason: v.string() })),
});

export const FleetPlanSchema = v.object({
  schema: v.literal(FLEET_PLAN_SCHEMA_ID),
  command: v.string(),
  createdAt: v.string(),
  version: v.string(),
  producer: v.object({ command: v.string(), version: v.string(), sourceDigest: v.string() }),
  selection: SelectionSchema,
  scopes: v.array(ScopeSectionSchema),
  digest: v.string(),
});

export type ScopeIdentityRecord = v.InferOutput<typeof IdentitySchema>;
export type ScopeSection = v.InferOutput<typeof ScopeSectionSchema>;
export type FleetSelection = v.InferOutput<typeof SelectionSchema>;
export type FleetPlan = v.InferOutput<typeof FleetPlanSchema>;

/** A section's digest: everything in it but the digest (identity, status, errors and its plan). */
export function sectionDigest(s: Omit<ScopeSection, "digest">): string {
  const { digest: _ignored, ...rest } = s as ScopeSection;
  return `sha256:${canonicalSha256(rest)}`;
}

export function sealSection(s: Omit<ScopeSection, "digest">): ScopeSection {
  return { ...s, digest: sectionDigest(s) };
}

/** The top digest: the header and the sorted section digests (the sections themselves are covered through them). */
export function fleetDigest(p: Omit<FleetPlan, "digest">): string {
  const { digest: _ignored, scopes, ...header } = p as FleetPlan;
  return `sha256:${canonicalSha256({ ...header, scopes: scopes.map((s) => s.digest).sort() })}`;
}

export function sealFleetPlan(p: Omit<FleetPlan, "digest">): FleetPlan {
  return { ...p, digest: fleetDigest(p) };
}
