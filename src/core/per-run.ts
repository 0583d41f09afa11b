import type { RunContext } from "./command.ts";

/**
 * One client (or session) per run: plan, validate, live re-reads and apply handlers of
 * the same run share it, and a new run (a new context) gets a fresh one. A factory
 * that throws (bad config) caches nothing, so the error is reported where it happens.
 */
export function perRun<T>(make: (ctx: RunContext) => Promise<T>): (ctx: RunContext) => Promise<T> {
  const cache = new WeakMap<RunContext, Promise<T>>();
  return (ctx) => {
    let value = cache.get(ctx);
    if (!value) {
      value = make(ctx);
      cache.set(ctx, value);
    }
    return value;
  };
}
