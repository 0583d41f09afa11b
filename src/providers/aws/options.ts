import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { MutationRefused, type Phase } from "../../core/providers.ts";
import type { ApiBudget } from "./budget.ts";
import { THROTTLE_CODES } from "./errors.ts";

export interface AwsClientOptions {
  region: string;
  endpoint?: string;
  /**
   * Static credentials from config, or a scope's assumed role chain (a provider the SDK
   * renews); absent means the SDK's default credential chain.
   */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  profile?: string;
  maxAttempts: number;
  requestTimeoutMs: number;
  /** Debug log of every failed attempt and every retry that succeeded (verbose mode). */
  log?: (message: string) => void;
  /** The run's stage: before "apply", only reads and DryRun calls are sent (the SDK's read-only guard). */
  phase?: () => Phase | undefined;
  /** The run's API budget: every attempt of every call waits for a token from it. */
  budget?: ApiBudget;
  /** Account the budget's buckets are keyed by (the configured account, or the credentials' identity). */
  account?: string;
}

// Operations that change nothing, by the naming convention every AWS API follows, plus
// the few that create no resource although their names say otherwise.
const READ_ONLY_OPERATION = /^(Describe|List|Get|Head|Search|Lookup|Filter|Query|Scan|Select|BatchGet|Check|Simulate|Estimate|Preview)/;
const ALSO_READ_ONLY = new Set([
  "GenerateCredentialReport",
  "AssumeRole",
  "AssumeRoleWithWebIdentity",
  "DecodeAuthorizationMessage",
  "StartQuery",
  "StopQuery",
]);

export function isReadOnlyCall(operation: string, input: unknown): boolean {
  return READ_ONLY_OPERATION.test(operation) || ALSO_READ_ONLY.has(operation) || (input as { DryRun?: unknown } | undefined)?.DryRun === true;
}

/** The constructor options every AWS SDK v3 client takes. Retries, signing and the credential chain stay the SDK's. */
export function clientConfig(o: AwsClientOptions) {
  return {
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
    maxAttempts: o.maxAttempts,
    retryMode: "standard",
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes and keeps waiting.
    requestHandler: { requestTimeout: o.requestTimeoutMs, throwOnRequestTimeout: true, connectionTimeout: Math.min(o.requestTimeoutMs, 5000) },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the smithy middleware stack is typed per client; this hook is client-agnostic
type AnyClient = { middlewareStack: { add: (mw: any, opts: any) => void } };

/**
 * Runs inside the SDK's retry middleware, so it sees each attempt: takes a token from the
 * run's API budget for it (waiting if needed), bounds it with the
 * per-call timeout (the SDK's own requestTimeout is not honoured by every runtime's
 * HTTP client) and makes retries visible in --verbose. The retry policy itself
 * (backoff with jitter on throttling, 5xx and timeouts) stays the SDK's.
 */
export function instrument(client: AnyClient, service: string, o: Pick<AwsClientOptions, "log" | "requestTimeoutMs" | "budget" | "account" | "region">): void {
  const log = o.log ?? (() => {});
  client.middlewareStack.add(
    // biome-ignore lint/suspicious/noExplicitAny: see AnyClient
    (next: (a: any) => Promise<any>, context: { commandName?: string; __opsctlAttempt?: number }) => async (args: { input?: unknown }) => {
      const attempt = (context.__opsctlAttempt ?? 0) + 1;
      context.__opsctlAttempt = attempt;
      // The SDK puts the command's name string in the context (class names are minified away).
      const operation = (context.commandName ?? "").replace(/Command$/, "");
      const op = `${service} ${operation}`;
      const key = { account: o.account ?? "default", region: o.region, service, operation, input: args.input };
      // Each attempt is a request AWS charges to its bucket: retries wait for a token too.
      // The wait is outside the per-attempt timeout, which bounds only the remote's answer.
      await o.budget?.acquire(key);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error(`no answer within ${o.requestTimeoutMs} ms`), { name: "TimeoutError", code: "ETIMEDOUT" })),
          o.requestTimeoutMs,
        );
      });
      try {
        const out = await Promise.race([next(args), timeout]);
        if (attempt > 1) log(`${op}: succeeded on attempt ${attempt}`);
        return out;
      } catch (e) {
        const err = e as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
        if (THROTTLE_CODES.has(err.Code ?? err.name ?? "")) o.budget?.throttled(key);
        log(`${op}: attempt ${attempt} failed (${err.$metadata?.httpStatusCode ?? "no response"} ${err.name ?? err.code ?? "error"})`);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },
    { step: "finalizeRequest", priority: "low", name: "opsctlAttempt" },
  );
}

/**
 * The one way opsctl builds an AWS SDK v3 client: options from config, the per-attempt
 * bound and retry logging. Every client goes through here so that call-level policy
 * (the SDK's read-only guard while planning, the API-budget limiter) attaches in one place.
 */
export function awsClient<C extends AnyClient>(
  Ctor: new (config: ReturnType<typeof clientConfig>) => C,
  service: string,
  o: AwsClientOptions,
  extra: Record<string, unknown> = {},
): C {
  const client = new Ctor({ ...clientConfig(o), ...extra });
  instrument(client, service, o);
  if (o.phase) guardMutations(client, service, o.phase);
  return client;
}

/** Refuses a mutating call before it is signed or sent, unless the run is applying. */
function guardMutations(client: AnyClient, service: string, phase: () => Phase | undefined): void {
  client.middlewareStack.add(
    // biome-ignore lint/suspicious/noExplicitAny: see AnyClient
    (next: (a: any) => Promise<any>, context: { commandName?: string }) => async (args: { input?: unknown }) => {
      const now = phase();
      const operation = (context.commandName ?? "").replace(/Command$/, "");
      if (now && now !== "apply" && !isReadOnlyCall(operation, args.input)) throw new MutationRefused(service, operation, now);
      return next(args);
    },
    { step: "initialize", priority: "high", name: "opsctlReadOnlyGuard" },
  );
}
