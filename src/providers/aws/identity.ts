import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { OpsError } from "../../core/errors.ts";
import { awsErrorInfo, firstLine, remoteFailure } from "./errors.ts";
import { type AwsClientOptions, awsClient, instrument } from "./options.ts";

/** Which roles a scope's run assumes, in order, from the operator's own credentials. */
export interface RoleChain {
  roles: string[];
  /** For the last role of the chain (the one in the target account, where a third party set the condition). */
  externalId?: string;
  sessionName: string;
}

/** Who a scope's calls run as: the assumed chain and what STS says about the final credentials. */
export interface ScopeIdentity {
  account: string;
  callerArn: string;
  roles: string[];
}

export interface AssumedScope {
  credentials: AwsCredentialIdentityProvider;
  identity: ScopeIdentity;
}

/** Role sessions last an hour (AssumeRole's default and a chained role's maximum); they are renewed 5 min before expiry. */
const SESSION_SECONDS = 3600;

/**
 * Assumes a chain of roles and asks STS who the result is. The SDK's own
 * fromTemporaryCredentials assumes each link (from the previous link's credentials) and
 * memoizeIdentityProvider renews a session before it expires, so a long fleet run never
 * signs with an expired chain; every AssumeRole goes through the run's API budget.
 * A role that cannot be assumed is a remote failure naming the role (exit 4).
 */
export async function assumeScope(base: AwsClientOptions, chain: RoleChain): Promise<AssumedScope> {
  const [{ fromTemporaryCredentials }, { memoizeIdentityProvider, isIdentityExpired, doesIdentityRequireRefresh }, { STSClient, GetCallerIdentityCommand }] =
    await Promise.all([import("@aws-sdk/credential-providers"), import("@smithy/core"), import("@aws-sdk/client-sts")]);
  let credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined = base.credentials;
  const instrumented = new WeakSet<object>();
  // biome-ignore lint/suspicious/noExplicitAny: the smithy stack type is per client; instrument() is client-agnostic
  const budgetPlugin = { applyToStack: (stack: any) => instrumentOnce(stack) };
  // biome-ignore lint/suspicious/noExplicitAny: see above
  function instrumentOnce(stack: any) {
    // The SDK applies plugins each time it renews a session; the middleware must be added once.
    if (instrumented.has(stack)) return;
    instrumented.add(stack);
    instrument({ middlewareStack: stack }, "sts", base);
  }
  chain.roles.forEach((role, i) => {
    const last = i === chain.roles.length - 1;
    const link = fromTemporaryCredentials({
      params: {
        RoleArn: role,
        RoleSessionName: chain.sessionName,
        DurationSeconds: SESSION_SECONDS,
        ...(last && chain.externalId ? { ExternalId: chain.externalId } : {}),
      },
      ...(credentials ? { masterCredentials: credentials } : {}),
      clientConfig: {
        region: base.region,
        ...(base.endpoint ? { endpoint: base.endpoint } : {}),
        ...(base.profile ? { profile: base.profile } : {}),
        maxAttempts: base.maxAttempts,
      },
      clientPlugins: [budgetPlugin],
    });
    credentials = memoizeIdentityProvider(named(link, role), isIdentityExpired, doesIdentityRequireRefresh) as AwsCredentialIdentityProvider;
  });
  const provider = typeof credentials === "function" ? credentials : undefined;
  const sts = awsClient(STSClient, "sts", { ...base, ...(credentials ? { credentials } : {}) });
  try {
    const who = await sts.send(new GetCallerIdentityCommand({}));
    return {
      credentials: provider ?? (async () => credentials as AwsCredentialIdentity),
      identity: { account: who.Account ?? "", callerArn: who.Arn ?? "", roles: [...chain.roles] },
    };
  } catch (e) {
    if (e instanceof OpsError) throw e;
    const role = (e as { opsctlRole?: string }).opsctlRole;
    if (role) {
      const info = awsErrorInfo((e as { cause?: unknown }).cause ?? e);
      throw new OpsError(
        "remote",
        [{ message: `cannot assume role ${role}: ${info.code}${info.message && info.message !== info.code ? ` (${firstLine(info.message)})` : ""}` }],
        {
          cause: e,
        },
      );
    }
    throw remoteFailure("STS", base.endpoint, e);
  } finally {
    sts.destroy?.();
  }
}

/** Tags a link's failure with its role, so the message says which link of the chain broke. */
function named(link: AwsCredentialIdentityProvider, role: string): AwsCredentialIdentityProvider {
  return async (props) => {
    try {
      return await link(props);
    } catch (e) {
      if ((e as { opsctlRole?: string }).opsctlRole) throw e;
      throw Object.assign(new Error(`cannot assume ${role}: ${(e as Error).message}`, { cause: e }), { opsctlRole: role, name: "AssumeRoleFailed" });
    }
  };
}

/** The regions enabled for the credentials' account (EC2 DescribeRegions), sorted: `regions: all` resolved at plan time. */
export async function listRegions(opts: AwsClientOptions): Promise<string[]> {
  const { EC2Client, DescribeRegionsCommand } = await import("./sdk/ec2.ts");
  const ec2 = awsClient(EC2Client, "ec2", opts);
  try {
    const r = await ec2.send(new DescribeRegionsCommand({}));
    return (r.Regions ?? []).flatMap((x) => (x.RegionName ? [x.RegionName] : [])).sort();
  } catch (e) {
    throw remoteFailure("EC2", opts.endpoint, e);
  } finally {
    ec2.destroy?.();
  }
}
