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
// bundle. Kept apart from the command so it can be driven in tests with any collectors.

export interface CollectorPlan {
  name: CollectorName;
  reads: PlannedRead[];
  probes: ProbeResult[];
  /** Set when discovery or a probe could not reach the remote: the collector is not run. */
  unavailable?: ReadFailure;
}

export async function planCollectors(collectors: Collector[], classify: (c: CollectorName, e: unknown) => Omit<ReadFailure, "read">): Promise<CollectorPlan[]> {
  return Promise.all(
    collectors.map(async (c): Promise<CollectorPlan> => {
      const out: CollectorPlan = { name: c.name, reads: [], probes: [] };
      try {
        out.reads = await c.plan();
        out.probes = await c.probe();
      } catch (e) {
        out.unavailable = { read: out.reads.length ? "permission probe" : "discovery", ...classify(c.name, e) };
      }
      return out;
    }),
  );
}

export interface CollectOptions {
  collectors: Collector[];
  plans: CollectorPlan[];
  window: Window;
  maxBytes: number;
  bundlePath: string;
  pseudo: Pseudonymizer;
  now: () => Date;
  signal: AbortSignal;
  /** Everything about the run that goes into manifest.json besides files and collectors. */
  manifest: Record<string, unknown>;
  classify: (c: CollectorName, e: unknown) => Omit<ReadFailure, "read">;
}

export interface CollectOutcome {
  bundle?: BundleResult;
  collectors: CollectorReport[];
  collectedBy: Record<string, string>;
  interrupted: boolean;
}

/**
 * Runs every available collector at once into one bundle. A collector that throws is
 * recorded as failed and the others go on; an interrupt drops the temporary file.
 */
export async function collectBundle(o: CollectOptions): Promise<CollectOutcome> {
  const startedAt = o.now();
  const run = o.collectors.filter((c) => !o.plans.find((p) => p.name === c.name)?.unavailable);
  const share = shares(
    o.maxBytes,
    run.map((c) => c.name),
  );
  const collectedBy: Record<string, string> = {};
  // Secrets learnt from any collector are known before any collector writes: a Kubernetes
  // Secret's value printed in a CloudWatch log group gets the same pseudonym as in a pod log.
  for (const c of run) {
    for (const v of (await c.knownSecrets?.().catch(() => [])) ?? []) o.pseudo.addKnown(v, "k8s-secret-value");
    try {
      const who = await c.identity();
      if (who) collectedBy[c.name] = who;
    } catch {}
  }
  if (existsSync(o.bundlePath)) throw new Error(`${o.bundlePath} already exists`);
  const writer = BundleWriter.open(o.bundlePath, startedAt);
  const sinks = o.collectors.map((c) => new Sink(c.name, share[c.name] ?? 0, writer, o.pseudo, o.window, o.signal));
  try {
    await Promise.all(
      o.collectors.map(async (c, i) => {
        const sink = sinks[i] as Sink;
        const unavailable = o.plans.find((p) => p.name === c.name)?.unavailable;
        if (unavailable) {
          sink.report.failures.push(unavailable);
          return;
        }
        try {
          await c.collect(sink);
        } catch (e) {
          if (o.signal.aborted) throw e;
          sink.report.failures.push({ read: "collector", ...o.classify(c.name, e) });
        }
      }),
    );
    o.signal.throwIfAborted();
    const reports = sinks.map((s) => ({ ...s.report, status: finalStatus(s.report) }));
    if (!writer.files.length) {
      writer.abort();
      return { collectors: reports, collectedBy, interrupted: false };
    }
    const bundle = await writer.finish({
      schema: BUNDLE_SCHEMA,
      ...o.manifest,
      collectedBy,
      startedAt: startedAt.toISOString(),
      finishedAt: o.now().toISOString(),
      window: { since: o.window.since.toISOString(), until: o.window.until.toISOString() },
      maxBytes: o.maxBytes,
      redaction: {
        method:
          "HMAC-SHA256 pseudonyms [redacted:<first 12 hex>] under a key made for this bundle and never written; the same secret has the same pseudonym in every file",
        kubernetesSecrets: "Secret objects are never collected; values the service's pods reference are replaced wherever they appear",
      },
      collectors: reports,
    });
    return { bundle, collectors: reports, collectedBy, interrupted: false };
  } catch (e) {
    writer.abort();
    if (o.signal.aborted) return { collectors: sinks.map((s) => ({ ...s.report, status: finalStatus(s.report) })), collectedBy, interrupted: true };
    throw e;
  }
}

/** DESIGN §2 for this command: 0 all ok, 5 written but something failed or was cut, 4 nothing collected. */
export function outcomeExit(out: CollectOutcome): "ok" | "partial" | "remote" | "interrupted" {
  if (out.interrupted) return "interrupted";
  if (!out.bundle) return "remote";
  return out.collectors.every((c) => c.status === "ok") ? "ok" : "partial";
}
