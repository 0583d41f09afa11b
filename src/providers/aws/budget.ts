import type { ApiUsage, OperationUsage } from "../../core/usage.ts";
import { type BucketSpec, ec2Bucket, isFilteredOrPaged } from "./ec2-buckets.ts";

/**
 * The API budget (DESIGN §7): a client-side token bucket per (account, region, service,
 * operation), shared by every call of a run — discovery, validation, re-reads, mutations
 * and every retry attempt. AWS throttles an account per region with one bucket per API;
 * opsctl takes only a share of each (default half of its capacity and refill rate) so the
 * other callers in the account (CSI drivers, Terraform, people) keep headroom. A call
 * that AWS throttles anyway (someone else spent the bucket) empties ours, so the retry
 * waits for a refill instead of only the SDK's backoff.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(abortError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Thrown when a run is interrupted while a call waits for a token: that call was never sent. */
export function abortError(): Error {
  return Object.assign(new Error("interrupted while waiting for the API rate limiter; the call was not sent"), {
    name: "AbortError",
    code: "OpsctlRateLimitAborted",
  });
}

/** A token bucket: FIFO waiters, fractional refill, never more than `capacity` tokens. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly clock: Clock,
  ) {
    this.tokens = capacity;
    this.last = clock.now();
  }

  /** Every ms this bucket has held its head waiter back so far (sleeps are serialized). */
  private sleptMs = 0;

  /**
   * Takes one token, waiting for it if needed (in arrival order); resolves with the time this
   * call was held back by the bucket — the refill sleeps between its arrival and its grant,
   * its own and those of the waiters ahead of it — not the event loop's scheduling delays.
   */
  take(signal?: AbortSignal): Promise<number> {
    const sleptBefore = this.sleptMs;
    const turn = this.tail.then(async () => {
      this.refill();
      while (this.tokens < 1) {
        const ms = Math.max(1, Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000));
        await this.clock.sleep(ms, signal);
        this.sleptMs += ms;
        this.refill();
      }
      this.tokens -= 1;
    });
    this.tail = turn.catch(() => {});
    return turn.then(() => this.sleptMs - sleptBefore);
  }

  /** AWS said the real bucket is empty: so is ours, from now. */
  empty(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.refillPerSecond);
    this.last = now;
  }
}

export interface BudgetConfig {
  /** Share (0 < share ≤ 1) of each published bucket's capacity and refill rate opsctl takes. */
  share: number;
  /** Per operation ("ec2:DeleteVolume"): a different bucket (raised limits) and/or share. */
  operations: Record<string, Partial<BucketSpec> & { share?: number }>;
}

export const DEFAULT_SHARE = 0.5;

export interface CallKey {
  account: string;
  region: string;
  service: string;
  operation: string;
  /** The SDK command's input: decides EC2's filtered/unfiltered bucket and counts DryRuns. */
  input?: unknown;
}

interface Stats extends OperationUsage {
  account: string;
  region: string;
}

export class ApiBudget {
  private readonly buckets = new Map<string, TokenBucket | null>();
  private readonly stats = new Map<string, Stats>();

  constructor(
    private readonly config: BudgetConfig,
    private readonly clock: Clock = realClock,
    private readonly signal?: AbortSignal,
  ) {}

  /** Waits until the call may be sent; counts it. Unknown services (no published buckets) are counted, not limited. */
  async acquire(k: CallKey): Promise<void> {
    const s = this.statsFor(k);
    s.calls++;
    if ((k.input as { DryRun?: boolean } | undefined)?.DryRun === true) s.dryRunCalls = (s.dryRunCalls ?? 0) + 1;
    const bucket = this.bucketFor(k);
    if (!bucket) return;
    const waited = await bucket.take(this.signal);
    s.waitedMs += waited;
  }

  /** AWS answered RequestLimitExceeded/Throttling: count it and empty the bucket so the retry waits for a refill. */
  throttled(k: CallKey): void {
    this.statsFor(k).throttled++;
    this.bucketFor(k)?.empty();
  }

  /** The bucket opsctl uses for this call, or undefined when the service publishes none (not limited). */
  limitFor(k: CallKey): BucketSpec | undefined {
    const b = this.bucketFor(k);
    return b ? { capacity: b.capacity, refillPerSecond: b.refillPerSecond } : undefined;
  }

  /** What the run spent, per operation; only one account and region's share with a filter (one scope of a multi-scope run). */
  usage(only?: { account: string; region?: string }): ApiUsage {
    const merged = new Map<string, OperationUsage>();
    for (const { account, region, ...s } of this.stats.values()) {
      if (only && (account !== only.account || (only.region !== undefined && region !== only.region))) continue;
      const id = `${s.service}:${s.operation}`;
      const m = merged.get(id);
      if (!m) merged.set(id, { ...s });
      else {
        m.calls += s.calls;
        m.throttled += s.throttled;
        m.waitedMs += s.waitedMs;
        if (s.dryRunCalls) m.dryRunCalls = (m.dryRunCalls ?? 0) + s.dryRunCalls;
      }
    }
    const operations = [...merged.values()].map((s) => ({ ...s, waitedMs: Math.round(s.waitedMs) }));
    operations.sort((a, b) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation));
    return {
      calls: operations.reduce((n, o) => n + o.calls, 0),
      throttled: operations.reduce((n, o) => n + o.throttled, 0),
      waitedMs: operations.reduce((n, o) => n + o.waitedMs, 0),
      operations,
    };
  }

  /** One account and region's share of the run (a scope of a multi-scope run). */
  usageFor(account: string, region: string | undefined): ApiUsage {
    return this.usage({ account, ...(region ? { region } : {}) });
  }

  private statsFor(k: CallKey): Stats {
    const id = `${k.account}|${k.region}|${k.service}:${k.operation}`;
    let s = this.stats.get(id);
    if (!s) {
      const limit = this.limitFor(k);
      s = {
        account: k.account,
        region: k.region,
        service: k.service,
        operation: k.operation,
        calls: 0,
        throttled: 0,
        waitedMs: 0,
        ...(limit ? { limit } : {}),
      };
      this.stats.set(id, s);
    }
    return s;
  }

  private bucketFor(k: CallKey): TokenBucket | undefined {
    const published = k.service === "ec2" ? ec2Bucket(k.operation, isFilteredOrPaged(k.input)) : undefined;
    const override = this.config.operations[`${k.service}:${k.operation}`];
    const spec = { ...published?.spec, ...override };
    if (spec.capacity === undefined || spec.refillPerSecond === undefined) return undefined;
    const id = `${k.account}|${k.region}|${k.service}|${published?.key ?? k.operation}`;
    let b = this.buckets.get(id);
    if (b === undefined) {
      const share = override?.share ?? this.config.share;
      // Never below one token of capacity, or a bucket like 1 token / 0.1 per s could never be spent.
      b = new TokenBucket(Math.max(1, spec.capacity * share), spec.refillPerSecond * share, this.clock);
      this.buckets.set(id, b);
    }
    return b ?? undefined;
  }
}
