export interface AwsClientOptions {
  region: string;
  endpoint?: string;
  /** Static credentials from config; absent means the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  profile?: string;
  maxAttempts: number;
  requestTimeoutMs: number;
  /** Debug log of every failed attempt and every retry that succeeded (verbose mode). */
  log?: (message: string) => void;
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
    requestHandler: { requestTimeout: o.requestTimeoutMs, connectionTimeout: Math.min(o.requestTimeoutMs, 5000) },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the smithy middleware stack is typed per client; this hook is client-agnostic
type AnyClient = { middlewareStack: { add: (mw: any, opts: any) => void } };

/**
 * Makes the SDK's own retries visible: runs inside the retry middleware, so it sees
 * each attempt. The retry policy itself (backoff with jitter, throttling, 5xx) stays the SDK's.
 */
export function logAttempts(client: AnyClient, service: string, log: ((m: string) => void) | undefined): void {
  if (!log) return;
  client.middlewareStack.add(
    // biome-ignore lint/suspicious/noExplicitAny: see AnyClient
    (next: (a: any) => Promise<any>, context: { commandName?: string; __opsctlAttempt?: number }) => async (args: unknown) => {
      const attempt = (context.__opsctlAttempt ?? 0) + 1;
      context.__opsctlAttempt = attempt;
      const op = `${service} ${(context.commandName ?? "").replace(/Command$/, "")}`;
      try {
        const out = await next(args);
        if (attempt > 1) log(`${op}: succeeded on attempt ${attempt}`);
        return out;
      } catch (e) {
        const err = e as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
        log(`${op}: attempt ${attempt} failed (${err.$metadata?.httpStatusCode ?? "no response"} ${err.name ?? err.code ?? "error"})`);
        throw e;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "opsctlAttemptLog" },
  );
}
