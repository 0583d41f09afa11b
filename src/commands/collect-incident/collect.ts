import type { BundleWriter, FileRecord } from "./bundle.ts";
import { redactObject } from "./object-redact.ts";
import type { Pseudonymizer, RedactionCounts } from "./redact.ts";
import { formatBytes, type Window } from "./window.ts";

// The frame every collector runs in: it gets a share of --max-bytes and a Sink that
// redacts, bounds, writes and records. A collector only decides what to read.

export type CollectorName = "kubernetes" | "aws" | "postgres" | "hosts";
export const COLLECTOR_NAMES: readonly CollectorName[] = ["kubernetes", "aws", "postgres", "hosts"];

/** One bounded read, as shown in the plan before anything is read. */
export interface PlannedRead {
  id: string;
  collector: CollectorName;
  /** The API call or local read, with its bounds (window, limits) spelled out. */
  call: string;
  /** Namespace, log group, database, file … */
  target: string;
  /** "window" when only events inside --since/--until are read; "snapshot" for current state. */
  bound: "window" | "snapshot";
  estimatedBytes: number;
}

export interface ProbeResult {
  collector: CollectorName;
  name: string;
  status: "passed" | "failed";
  detail: string;
}

export interface ReadFailure {
  read: string;
  class: "remote" | "auth" | "validation" | "verification" | "internal";
  code?: string;
  message: string;
}

export interface Collector {
  readonly name: CollectorName;
  /** Discovers targets (read-only metadata) and returns the bounded reads it will make. */
  plan(): Promise<PlannedRead[]>;
  /** Permission probes: one cheap read per authorization context, inside the window. */
  probe(): Promise<ProbeResult[]>;
  /** Who this collector reads as (STS caller, Kubernetes user, PostgreSQL role, OS user). */
  identity(): Promise<string | undefined>;
  /**
   * Secret values this collector can learn without writing them (Kubernetes Secrets the
   * service's pods reference): every collector's output is redacted of them, so they are
   * asked for before anything is written.
   */
  knownSecrets?(): Promise<string[]>;
  collect(sink: Sink): Promise<void>;
}

export interface CollectorReport {
  name: CollectorName;
  status: "ok" | "truncated" | "partial" | "failed";
  shareBytes: number;
  bytes: number;
  files: number;
  truncated: { path: string; reason: string }[];
  failures: ReadFailure[];
}

export interface SinkWrite {
  requestIds?: string[];
  /** Set when the collector itself stopped early (paging cut by the share, a line limit). */
  truncated?: string;
  /** Redactions already made on the structured object before it became this text. */
  redactions?: RedactionCounts;
}

export class Sink {
  readonly report: CollectorReport;
  constructor(
    name: CollectorName,
    shareBytes: number,
    private readonly writer: BundleWriter,
    private readonly pseudo: Pseudonymizer,
    readonly window: Window,
    readonly signal: AbortSignal,
  ) {
    this.report = { name, status: "ok", shareBytes, bytes: 0, files: 0, truncated: [], failures: [] };
  }

  /** Bytes this collector may still write (after redaction). */
  get remaining(): number {
    return Math.max(0, this.report.shareBytes - this.report.bytes);
  }

  checkAborted(): void {
    this.signal.throwIfAborted();
  }

  redact(text: string, counts?: RedactionCounts): string {
    return this.pseudo.redact(text, counts);
  }

  /**
   * Redacts, then keeps whole lines up to the remaining share; what was cut is recorded on
   * the file. A file with nothing left to keep is not written but recorded as truncated.
   */
  async text(path: string, source: string, text: string, o: SinkWrite = {}): Promise<FileRecord | undefined> {
    this.checkAborted();
    const redactions: RedactionCounts = { ...(o.redactions ?? {}) };
    const clean = this.pseudo.redact(text, redactions);
    let data = new TextEncoder().encode(clean);
    let truncated = o.truncated;
    if (data.length > this.remaining) {
      const keep = data.subarray(0, this.remaining);
      const nl = keep.lastIndexOf(10);
      data = nl >= 0 ? keep.subarray(0, nl + 1) : new Uint8Array(0);
      truncated = `${this.shareText()} reached: kept the first ${data.length} of ${new TextEncoder().encode(clean).length} bytes (whole lines)`;
    }
    if (truncated) this.report.truncated.push({ path, reason: truncated });
    if (!data.length && truncated) return undefined;
    const rec = await this.writer.add(
      {
        path,
        collector: this.report.name,
        source,
        requestIds: [...new Set(o.requestIds ?? [])],
        ...(truncated ? { truncated: { reason: truncated, limitBytes: this.report.shareBytes } } : {}),
        ...(Object.keys(redactions).length ? { redactions } : {}),
      },
      data,
    );
    this.report.bytes += rec.bytes;
    this.report.files++;
    return rec;
  }

  /** API objects as JSON Lines, redacted by structure first (env names, ConfigMap keys, embedded JSON). */
  objects(path: string, source: string, items: unknown[], o: SinkWrite = {}): Promise<FileRecord | undefined> {
    const redactions: RedactionCounts = {};
    const clean = items.map((i) => redactObject(i, this.pseudo, redactions));
    return this.jsonl(path, source, clean, { ...o, redactions });
  }

  /** A list as JSON Lines: a cut keeps whole records, so what is kept still parses. */
  jsonl(path: string, source: string, items: unknown[], o: SinkWrite = {}): Promise<FileRecord | undefined> {
    return this.text(path, source, items.map((i) => `${JSON.stringify(i)}\n`).join(""), o);
  }

  json(path: string, source: string, value: unknown, o: SinkWrite = {}): Promise<FileRecord | undefined> {
    return this.text(path, source, `${JSON.stringify(value, null, 2)}\n`, o);
  }

  /** A read that failed: recorded, and the collector goes on with its other reads. */
  fail(read: string, e: unknown, classify: (e: unknown) => Omit<ReadFailure, "read">): void {
    if (this.signal.aborted) throw this.signal.reason ?? new Error("aborted");
    this.report.failures.push({ read, ...classify(e) });
  }

  shareText(): string {
    return `max-bytes share of ${formatBytes(this.report.shareBytes)} for ${this.report.name}`;
  }
}

/** Splits --max-bytes evenly: one collector's flood of logs cannot starve the others. */
export function shares(maxBytes: number, names: readonly CollectorName[]): Record<string, number> {
  const each = Math.floor(maxBytes / Math.max(1, names.length));
  return Object.fromEntries(names.map((n) => [n, each]));
}

/** ok < truncated < partial < failed, from what the sink saw. */
export function finalStatus(r: CollectorReport): CollectorReport["status"] {
  if (r.failures.length && !r.files) return "failed";
  if (r.failures.length) return "partial";
  if (r.truncated.length) return "truncated";
  return "ok";
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
