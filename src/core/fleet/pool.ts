/**
 * Runs one job per scope, at most `max` at once, in the given (stable) order. After
 * `maxFailed` jobs failed no new job starts and the running ones finish; the same when
 * the signal fires (SIGINT/SIGTERM). Jobs that never started are reported as such.
 */
export async function runPool<S, R>(
  items: S[],
  o: { max: number; maxFailed?: number; signal: AbortSignal; failed: (r: R) => boolean },
  job: (item: S, index: number) => Promise<R>,
): Promise<{ results: (R | undefined)[]; stoppedBy?: "max-failed" | "signal" }> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined);
  let next = 0;
  let failures = 0;
  let stoppedBy: "max-failed" | "signal" | undefined;
  const worker = async () => {
    for (;;) {
      if (o.signal.aborted) stoppedBy ??= "signal";
      if (o.maxFailed !== undefined && failures >= o.maxFailed) stoppedBy ??= "max-failed";
      if (stoppedBy || next >= items.length) return;
      const i = next++;
      const r = await job(items[i] as S, i);
      results[i] = r;
      if (o.failed(r)) failures++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.max, items.length)) }, worker));
  return { results, ...(stoppedBy && results.includes(undefined) ? { stoppedBy } : {}) };
}
