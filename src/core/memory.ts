/**
 * Peak memory of large runs. Bun's collector (JavaScriptCore) lets garbage pile up until the
 * heap has grown well past what is live, and the allocator does not give the pages back: a
 * 50k-volume dry run had about 25 MB of live plan but a peak RSS of 300–370 MB, nearly all
 * of it the garbage of parsed DescribeVolumes pages and of the JSON pieces hashed and
 * written — each page's garbage is dead as soon as it was turned into actions.
 *
 * Loops that make a lot of short-lived garbage call memoryCheckpoint() between steps: when
 * the process has grown by STEP_BYTES since the last collection, it asks the runtime for a
 * full collection, so freed memory is reused instead of the process growing. Below that
 * growth it costs one RSS read (~8 µs); each collection costs ~10–25 ms for a plan of tens of
 * thousands of actions; the growth threshold keeps them to about one per 1–2k volumes listed
 * (measured at 10k volumes: ~0.1 s of ~0.8 s CPU, peak RSS 165 → 145 MB).
 *
 * The runtime's collector is reached by feature detection, as src/version.ts detects the
 * runtime: Bun's `Bun.gc`, or a `gc()` the runtime exposes (Node/Deno with --expose-gc);
 * elsewhere this is a no-op and only the collector's own schedule applies.
 */
const STEP_BYTES = 16 * 2 ** 20;

type Runtime = { Bun?: { gc?: (sync: boolean) => void }; gc?: () => void };

function collector(): (() => void) | undefined {
  const g = globalThis as Runtime;
  const bunGc = g.Bun?.gc;
  if (typeof bunGc === "function") return () => bunGc(true);
  if (typeof g.gc === "function") return g.gc;
  return undefined;
}

/** A checkpoint over an RSS reader and a collector (injected by tests). */
export function createCheckpoint(readRss: () => number, collect: (() => void) | undefined, stepBytes = STEP_BYTES): () => void {
  let last = -1;
  return () => {
    if (!collect) return;
    const now = readRss();
    if (last < 0) {
      last = now;
      return;
    }
    if (now - last < stepBytes) return;
    collect();
    // RSS rarely shrinks after a collection: the freed memory is reused by what comes next.
    last = readRss();
  };
}

function rss(): number {
  try {
    return process.memoryUsage.rss();
  } catch {
    return 0;
  }
}

/** Collects garbage when the process has grown by more than STEP_BYTES since the last time; cheap otherwise. */
export const memoryCheckpoint: () => void = createCheckpoint(rss, collector());
