import { existsSync } from "node:fs";
import { BUNDLE_SCHEMA, type BundleResult, BundleWriter } from "./bundle.ts";
import {
  type Collector,
  type CollectorName,
  type CollectorReport,
  finalStatus,
  type PlannedRead,
  type ProbeResult,
  type ReadFailure,
  Sink,
  shares,
} from "./collect.ts";
import type { Pseudonymizer } from "./redact.ts";
import type { Window } from "./window.ts";

// What collect-incident does once its inputs are resolved, independent of how the CLI
// wires it: plan (discover + bounded reads), probe permissions, then collect into one
// bundle. The command runs each collector as one action of its plan; tests drive the
// same session directly.

export type Classify = (c: CollectorName, e: unknown) => Omit<ReadFailure, "read">;

export interface CollectorPlan {
  name: CollectorName;
  reads: PlannedRead[];
  probes: ProbeResult[];
  /** Set when discovery or a probe could not reach the remote: the collector is not run. */
  unavailable?: ReadFailure;
}

/** Discovery for one collector; an unreachable remote makes it unavailable, not the run a failure. */
export async function planCollector(c: Collector, classify: Classify): Promise<CollectorPlan> {
  try {
    return { name: c.name, reads: await c.plan(), probes: [] };
  } catch (e) {
    return { name: c.name, reads: [], probes: [], unavailable: { read: "discovery", ...classify(c.name, e) } };
  }
}

/** Permission probes for one planned collector. */
export async function probeCollector(c: Collector, p: CollectorPlan, classify: Classify): Promise<CollectorPlan> {
  if (p.unavailable) return p;
  try {
    return { ...p, probes: await c.probe() };
  } catch (e) {
    return { ...p, unavailable: { read: "permission probe", ...classify(c.name, e) } };
  }
}

export async function planCollectors(collectors: Collector[], classify: Classify): Promise<CollectorPlan[]> {
  return Promise.all(collectors.map(async (c) => probeCollector(c, await planCollector(c, classify), classify)));
}

export interface SessionOptions {
  collectors: Collector[];
  /** Collectors that could not be reached while planning: they get no share and fail. */
  unavailable: Partial<Record<CollectorName, ReadFailure>>;
  window: Window;
  maxBytes: number;
  bundlePath: string;
  pseudo: Pseudonymizer;
  now: () => Date;
  signal: AbortSignal;
  classify: Classify;
}

/** One bundle being written: opened once, filled by each collector, then sealed or dropped. */
export class BundleSession {
  readonly collectedBy: Record<string, string> = {};
  private writer: BundleWriter | undefined;
  private readonly sinks = new Map<CollectorName, Sink>();
  private startedAt = new Date(0);

  constructor(private readonly o: SessionOptions) {}

  async open(): Promise<void> {
    const o = this.o;
    this.startedAt = o.now();
    const run = o.collectors.filter((c) => !o.unavailable[c.name]);
    // Secrets learnt from any collector are known before any collector writes: a Kubernetes
    // Secret's value printed in a CloudWatch log group gets the same pseudonym as in a pod log.
    for (const c of run) {
      for (const v of (await c.knownSecrets?.().catch(() => [])) ?? []) o.pseudo.addKnown(v, "k8s-secret-value");
      try {
        const who = await c.identity();
        if (who) this.collectedBy[c.name] = who;
      } catch {}
    }
    if (existsSync(o.bundlePath)) throw new Error(`${o.bundlePath} already exists`);
    this.writer = BundleWriter.open(o.bundlePath, this.startedAt);
    const share = shares(
      o.maxBytes,
      run.map((c) => c.name),
    );
    for (const c of o.collectors) this.sinks.set(c.name, new Sink(c.name, share[c.name] ?? 0, this.writer, o.pseudo, o.window, o.signal));
  }

  /** Runs one collector into the bundle; its failures are recorded, never thrown (except an interrupt). */
  async collect(name: CollectorName): Promise<CollectorReport> {
    const sink = this.sinks.get(name);
    const c = this.o.collectors.find((x) => x.name === name);
    if (!sink || !c) throw new Error(`collector ${name} is not part of this session`);
    const unavailable = this.o.unavailable[name];
    if (unavailable) sink.report.failures.push(unavailable);
    else {
      try {
        await c.collect(sink);
      } catch (e) {
        if (this.o.signal.aborted) throw e;
        sink.report.failures.push({ read: "collector", ...this.o.classify(name, e) });
      }
    }
    return { ...sink.report, status: finalStatus(sink.report) };
  }

  reports(): CollectorReport[] {
    return [...this.sinks.values()].map((s) => ({ ...s.report, status: finalStatus(s.report) }));
  }

  /**
   * Seals the bundle with its manifest, or drops it: after an interrupt, or when nothing
   * was collected. The final name exists only once the bundle is complete.
   */
  async finish(manifest: Record<string, unknown>, o: { interrupted: boolean }): Promise<BundleResult | undefined> {
    const writer = this.writer;
    if (!writer) return undefined;
    if (o.interrupted || this.o.signal.aborted || !writer.files.length) {
      writer.abort();
      return undefined;
    }
    try {
      return await writer.finish({
        schema: BUNDLE_SCHEMA,
        ...manifest,
        collectedBy: this.collectedBy,
        startedAt: this.startedAt.toISOString(),
        finishedAt: this.o.now().toISOString(),
        window: { since: this.o.window.since.toISOString(), until: this.o.window.until.toISOString() },
        maxBytes: this.o.maxBytes,
        redaction: {
          method:
            "HMAC-SHA256 pseudonyms [redacted:<first 12 hex>] under a key made for this bundle and never written; the same secret has the same pseudonym in every file",
          kubernetesSecrets: "Secret objects are never collected; values the service's pods reference are replaced wherever they appear",
        },
        collectors: this.reports(),
      });
    } catch (e) {
      writer.abort();
      throw e;
    }
  }

  /** Drops the temporary file (an error before finish). */
  abort(): void {
    this.writer?.abort();
  }
}

export interface CollectOutcome {
  bundle?: BundleResult;
  collectors: CollectorReport[];
  collectedBy: Record<string, string>;
  interrupted: boolean;
}

/** Every available collector at once into one bundle (what the command's actions do, in one call). */
export async function collectBundle(
  o: Omit<SessionOptions, "unavailable"> & { plans: CollectorPlan[]; manifest: Record<string, unknown> },
): Promise<CollectOutcome> {
  const unavailable = Object.fromEntries(o.plans.filter((p) => p.unavailable).map((p) => [p.name, p.unavailable]));
  const session = new BundleSession({ ...o, unavailable });
  await session.open();
  let interrupted = false;
  try {
    await Promise.all(o.collectors.map((c) => session.collect(c.name)));
  } catch (e) {
    if (!o.signal.aborted) {
      session.abort();
      throw e;
    }
    interrupted = true;
  }
  const bundle = await session.finish(o.manifest, { interrupted });
  return { ...(bundle ? { bundle } : {}), collectors: session.reports(), collectedBy: session.collectedBy, interrupted };
}

/** DESIGN §2 for this command: 0 all ok, 5 written but something failed or was cut, 4 nothing collected. */
export function outcomeExit(out: CollectOutcome): "ok" | "partial" | "remote" | "interrupted" {
  if (out.interrupted) return "interrupted";
  if (!out.bundle) return "remote";
  return out.collectors.every((c) => c.status === "ok") ? "ok" : "partial";
}
