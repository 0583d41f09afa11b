import type { RunContext } from "../../core/command.ts";
import type { CoreContext } from "../../core/context.ts";
import { parseDuration } from "../../core/duration.ts";
import { usageError } from "../../core/errors.ts";
import type { Phase } from "../../core/providers.ts";
import { setUsageSource } from "../../core/usage.ts";
import { ApiBudget, DEFAULT_SHARE } from "./budget.ts";
import { remoteFailure } from "./errors.ts";
import type { AwsClientOptions } from "./options.ts";

const budgets = new WeakMap<object, ApiBudget>();

/** The run's one API budget: every AWS client of the run (all services, all commands' providers) shares it. */
export function runBudget(ctx: CoreContext): ApiBudget {
  // One scope of a multi-scope run spends the run's budget, so a fleet run never takes an account's whole bucket.
  const shared = ctx.deps.binding?.budget;
  if (shared instanceof ApiBudget) {
    if (!budgets.has(ctx)) {
      budgets.set(ctx, shared);
      setUsageSource(ctx, () => shared.usageFor(ctx.scope.account ?? "default", ctx.scope.region));
    }
    return shared;
  }
  let b = budgets.get(ctx);
  if (!b) {
    const c = ctx.config.aws.apiBudget;
    b = new ApiBudget({ share: c.share ?? DEFAULT_SHARE, operations: c.operations ?? {} }, undefined, ctx.deps.signal);
    budgets.set(ctx, b);
    const budget = b;
    setUsageSource(ctx, () => budget.usage());
  }
  return b;
}

/** AWS client options from the resolved config; secrets are resolved here, at first use. */
export function awsOptions(ctx: CoreContext & { readonly phase?: Phase }): AwsClientOptions {
  const aws = ctx.config.aws;
  const accessKeyId = ctx.secret("aws.accessKeyId");
  const secretAccessKey = ctx.secret("aws.secretAccessKey");
  const sessionToken = ctx.secret("aws.sessionToken");
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw usageError("aws.accessKeyId and aws.secretAccessKey must be set together (or neither, for the default credential chain)");
  }
  const bound = ctx.deps.binding?.awsCredentials as AwsClientOptions["credentials"];
  return {
    region: ctx.scope.region as string,
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    // A scope of a multi-scope run signs with its role chain, assumed from the credentials below.
    ...(bound
      ? { credentials: bound }
      : accessKeyId && secretAccessKey
        ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
        : {}),
    ...(aws.profile ? { profile: aws.profile } : {}),
    maxAttempts: Math.max(1, aws.maxAttempts),
    requestTimeoutMs: parseDuration(aws.requestTimeout) ?? 30_000,
    log: (m) => ctx.log.debug(m),
    phase: () => ctx.phase,
    budget: runBudget(ctx),
    // AWS's buckets are per account: the configured account when there is one (it is checked
    // against the credentials), else one key for "whatever the credentials are".
    account: ctx.scope.account ?? "default",
  };
}

/**
 * The account the credentials belong to (STS GetCallerIdentity, through the command's
 * declared `sts` provider). STS answers in any region; a command without one (IAM) asks
 * us-east-1. A failure is a remote error naming STS and the endpoint.
 */
export async function callerAccount(ctx: RunContext): Promise<string> {
  // Outside the try: a config mistake in awsOptions is the operator's (exit 2), not STS's.
  const sts = await ctx.provider("sts", { ...awsOptions(ctx), region: ctx.scope.region ?? "us-east-1" });
  try {
    return await sts.callerAccount();
  } catch (e) {
    throw remoteFailure("STS", ctx.config.aws.endpoint, e);
  }
}
