/**
 * Peak memory of large runs. Bun's collector (JavaScriptCore) lets garbage pile up until the
 * heap has grown well past what is live — on a machine with a lot of RAM it lets the heap
 * double between collections — and the allocator keeps the pages it got. A 50k-volume dry
 * run has about 25 MB of live plan, but parsing DescribeVolumes pages, hashing the plan and
 * writing it make several hundred MB of short-lived garbage, and the peak RSS was the
 * live data plus whatever garbage had piled up between two collections.
 *
 * Loops that make a lot of short-lived garbage report how much they made since their last
 * call (an estimate from the work done: volumes parsed, JSON characters produced, actions
 * copied). Once STEP_BYTES of garbage is reported, the runtime is asked for a full
 * collection, so the next garbage reuses the freed memory instead of growing the process.
 *
 * Why work and not RSS: the first version collected when RSS had grown by 16 MB since the
 * last collection. RSS does not shrink after a collection, so each collection raised the
 * mark by another 16 MB, and a 50k-volume run climbed in 16 MB steps to 160–170 MB. The
 * runtime's own heap figures do not help either (Bun's heapUsed is what was live at the last
 * collection, not what was allocated since).
 *
 * Each collection costs ~5–30 ms depending on what is live (a 50k-volume plan is the high
 * end), so STEP_BYTES keeps them to about one per DescribeVolumes page and one per few MB of
 * JSON; a run over a few hundred volumes never reaches it.
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

/** A checkpoint over a collector (injected by tests): collects once `stepBytes` of garbage was reported. */
export function createCheckpoint(collect: (() => void) | undefined, stepBytes = STEP_BYTES): (garbageBytes: number) => void {
  let pending = 0;
  return (garbageBytes) => {
    if (!collect) return;
    pending += garbageBytes;
    if (pending < stepBytes) return;
    pending = 0;
    collect();
  };
}

/** Reports garbage made since the last call (an estimate, in bytes); collects once STEP_BYTES of it piled up. */
export const memoryCheckpoint: (garbageBytes: number) => void = createCheckpoint(collector());
