import { resolveSecret } from "../../config/secrets.ts";
import { awsOptions } from "../../providers/aws/context.ts";
import type { Flags } from "../command.ts";
import type { CoreContext } from "../context.ts";
import type { Deps } from "../deps.ts";
import { isOpsError, OpsError } from "../errors.ts";
import type { ProviderTypes } from "../providers.ts";
import type { AwsTarget, Target } from "../targets/model.ts";
import type { ScopeIdentityRecord } from "./plan.ts";

/** One scope of a multi-scope run: a target in one region (AWS) or one context (Kubernetes). */
export interface ScopeSpec {
  name: string;
  target: Target;
  region?: string;
  context?: string;
  identity: ScopeIdentityRecord | null;
  /** AWS: the scope's credentials (the target's role chain), handed to its clients. */
  awsCredentials?: unknown;
  /** The target's identity could not be established: the scope fails with this, nothing else runs for it. */
  failure?: OpsError;
}

/** Region used for STS and DescribeRegions before a target's regions are known. */
function homeRegion(t: AwsTarget, fallback: string | undefined): string {
  return t.regions !== "all" && t.regions[0] ? t.regions[0] : (fallback ?? "us-east-1");
}

/**
 * A target's scopes. AWS: assume its role chain, check with STS that the credentials
 * belong to the target's account before anything else, resolve `regions: all` with
 * DescribeRegions (at plan time, with the target's own credentials); one scope per
 * region. Kubernetes: one scope per context. A failure fails every scope of the target.
 */
export async function scopesOf(target: Target, core: (region: string, account: string) => Promise<CoreContext>, sessionName: string): Promise<ScopeSpec[]> {
  if (target.kind === "kubernetes") {
    return target.contexts.map((context) => ({ name: `${target.name}/${context}`, target, context, identity: { context } }));
  }
  const region = homeRegion(target, undefined);
  const ctx = await core(region, target.account);
  const failed = (e: unknown): ScopeSpec[] => {
    if (!isOpsError(e)) throw e;
    const regions = target.regions === "all" ? ["*"] : target.regions;
    return regions.map((r) => ({ name: `${target.name}/${r}`, target, ...(r === "*" ? {} : { region: r }), identity: null, failure: e }));
  };
  try {
    const base = { ...awsOptions(ctx), region: ctx.scope.region ?? region, phase: undefined };
    const externalId = target.externalId ? resolveSecret(target.externalId, `${target.source}.externalId`, ctx.deps.env, ctx.deps.redactor) : undefined;
    const assume = ctx.deps.providers.awsIdentity as ProviderTypes["awsIdentity"];
    const { credentials, identity } = await assume(base, { roles: target.roles, ...(externalId ? { externalId } : {}), sessionName });
    if (identity.account !== target.account) {
      throw new OpsError("validation", [
        {
          message: `target ${target.name}: the credentials${target.roles.length ? ` after assuming ${target.roles.join(" → ")}` : ""} belong to account ${identity.account} (${identity.callerArn}), not ${target.account}; nothing was run there`,
          source: { kind: "file", name: target.source, key: "account" },
        },
      ]);
    }
    const record: ScopeIdentityRecord = { account: identity.account, callerArn: identity.callerArn, roles: identity.roles };
    const regions = target.regions === "all" ? await (ctx.deps.providers.awsRegions as ProviderTypes["awsRegions"])({ ...base, credentials }) : target.regions;
    return regions.map((r) => ({ name: `${target.name}/${r}`, target, region: r, identity: record, awsCredentials: credentials }));
  } catch (e) {
    return failed(e);
  }
}

/**
 * What one scope's run gets on top of the run's flags and deps: its region and account
 * (AWS) or kubeconfig context (Kubernetes) as flags, and its credentials and the run's
 * shared API budget as the binding its providers read.
 */
export function bindScope(s: ScopeSpec, deps: Deps, flags: Flags, budget: object): { deps: Deps; flags: Flags } {
  const t = s.target;
  return {
    flags: {
      ...flags,
      ...(t.kind === "aws" ? { region: s.region, account: t.account } : {}),
      ...(t.kind === "kubernetes" ? { context: s.context, ...(t.kubeconfig ? { kubeconfig: t.kubeconfig } : {}) } : {}),
    },
    deps: { ...deps, binding: { name: s.name, budget, ...(s.awsCredentials ? { awsCredentials: s.awsCredentials } : {}) } },
  };
}

/** Why a target's scopes failed, for people: the message says which target and which role. */
export function describeFailure(spec: ScopeSpec): string {
  return spec.failure?.problems.map((p) => p.message).join("; ") ?? "";
}
