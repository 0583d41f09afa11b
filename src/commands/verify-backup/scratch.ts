import type { Evidence } from "./evidence.ts";
// Scratch resources of one verification: recorded the moment they exist (or are about
// to: a database name is registered before CREATE DATABASE, so an interrupt between the
// two still removes it), and always removed afterwards, newest first, whether the
// verification passed, failed, threw or was interrupted.

export interface ScratchRef {
  kind: string;
  id: string;
}

export interface Teardown {
  /** Everything this run created (or may have created), in order. */
  created: ScratchRef[];
  /** What teardown removed (or found already gone). */
  removed: ScratchRef[];
  /** What could not be removed, with why: to be cleaned by hand or by the next run. */
  leftovers: (ScratchRef & { error: string })[];
}

type Remover = () => Promise<"removed" | "not-found">;

export class Scratch {
  private readonly items: { ref: ScratchRef; remove: Remover; confirmed: boolean }[] = [];
  private result: Teardown | undefined;

  /** Registers a resource that exists now, or may exist once an unanswered call lands. */
  add(ref: ScratchRef, remove: Remover, opts: { confirmed?: boolean } = {}): void {
    if (this.result) throw new Error(`scratch ${ref.kind} ${ref.id} registered after teardown`);
    this.items.push({ ref, remove, confirmed: opts.confirmed ?? true });
  }

  /** Marks a pre-registered resource as really created. */
  confirm(id: string): void {
    const item = this.items.find((i) => i.ref.id === id);
    if (item) item.confirmed = true;
  }

  get created(): ScratchRef[] {
    return this.items.filter((i) => i.confirmed).map((i) => i.ref);
  }

  /** Removes everything, newest first; runs once (later calls return the same record). */
  async teardown(log: (m: string) => void): Promise<Teardown> {
    if (this.result) return this.result;
    const out: Teardown = { created: this.created, removed: [], leftovers: [] };
    for (const item of [...this.items].reverse()) {
      try {
        const r = await item.remove();
        if (item.confirmed || r === "removed") out.removed.push(item.ref);
        if (!item.confirmed && r === "removed") out.created.push(item.ref);
        log(`teardown: ${item.ref.kind} ${item.ref.id} ${r === "removed" ? "removed" : "already gone"}`);
      } catch (e) {
        out.leftovers.push({
          ...item.ref,
          error:
            String((e as Error)?.message ?? e)
              .split("\n")[0]
              ?.slice(0, 300) ?? "",
        });
        log(`teardown: could not remove ${item.ref.kind} ${item.ref.id}: ${(e as Error)?.message ?? e}`);
      }
    }
    this.result = out;
    return out;
  }
}

/** Resolves when the signal aborts; used to stop waiting (never to skip teardown). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export class Interrupted extends Error {
  constructor(what: string) {
    super(`interrupted during ${what}`);
    this.name = "Interrupted";
  }
}

/** Sleeps, but wakes (and throws Interrupted) as soon as the signal aborts. */
export async function pause(ms: number, signal: AbortSignal, what: string): Promise<void> {
  if (signal.aborted) throw new Interrupted(what);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([new Promise((r) => (timer = setTimeout(r, ms))), aborted(signal)]);
  clearTimeout(timer);
  if (signal.aborted) throw new Interrupted(what);
}

/**
 * One source's verification with its scratch resources: whatever run() does or throws,
 * the scratch is torn down, a failure becomes a finding, and a leftover is one too.
 */
export async function verifyWithScratch(
  ev: Evidence,
  o: { log: Parameters<Scratch["teardown"]>[0]; target: Evidence["level"]["reached"] },
  run: (scratch: Scratch) => Promise<void>,
): Promise<Evidence> {
  const scratch = new Scratch();
  try {
    await run(scratch);
  } catch (e) {
    ev.findings.push(e instanceof Interrupted ? e.message : (`${(e as Error)?.message ?? e}`.split("\n")[0] ?? ""));
  } finally {
    ev.teardown = await scratch.teardown(o.log);
  }
  if (ev.teardown.leftovers.length) ev.findings.push(`teardown left ${ev.teardown.leftovers.map((l) => `${l.kind} ${l.id}`).join(", ")}`);
  ev.verified = ev.findings.length === 0 && ev.level.reached === o.target;
  return ev;
}
