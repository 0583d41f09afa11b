/**
 * What a run spent of remote APIs' budgets (DESIGN §7): calls made per operation, calls
 * the remote throttled, and time spent waiting on opsctl's own rate limiter. Providers
 * register where their numbers come from; the pipeline puts them in the result and the
 * executor in its progress line. No provider is named here.
 */
export interface OperationUsage {
  service: string;
  operation: string;
  /** Requests sent (every attempt, retries included). */
  calls: number;
  /** Of those, DryRun requests (charged to the same bucket by EC2). */
  dryRunCalls?: number;
  /** Answers that said the caller was throttled (RequestLimitExceeded, Throttling, ...). */
  throttled: number;
  /** Time calls spent waiting for a token before being sent. */
  waitedMs: number;
  /** The client-side bucket used (share applied); absent when the operation is not limited. */
  limit?: { capacity: number; refillPerSecond: number };
}

export interface ApiUsage {
  calls: number;
  throttled: number;
  waitedMs: number;
  operations: OperationUsage[];
}

const sources = new WeakMap<object, () => ApiUsage>();

/** Registers the source of a run's API usage (keyed by the run's context object). */
export function setUsageSource(run: object, source: () => ApiUsage): void {
  sources.set(run, source);
}

export function usageOf(run: object | null | undefined): ApiUsage | undefined {
  return run ? sources.get(run)?.() : undefined;
}

/** "1,234 API calls, 0 throttled, 12.3 s waited on the rate limiter" for progress lines and text views. */
export function describeUsage(u: ApiUsage): string {
  return `${u.calls} API call${u.calls === 1 ? "" : "s"}, ${u.throttled} throttled, ${(u.waitedMs / 1000).toFixed(1)} s waited on the rate limiter`;
}
