import type { Freshness, Level } from "./levels.ts";
import type { ProbeResult } from "./probes.ts";
import type { Teardown } from "./scratch.ts";
import type { SourceKind } from "./sources.ts";

// The record an auditor keeps for one source: what was checked, what was measured, what
// was created and removed. The executor puts it on the action's result and a digest over
// all actions' evidence (with the plan digest) on the result.

export interface RecoveryPoint {
  id: string;
  /** When the backup was taken (snapshot start, object upload, file write). */
  time: string;
  sizeBytes: number;
  location: string;
}

export interface ChecksumEvidence {
  object: string;
  algorithm: string;
  /** Where the expected value came from: the manifest, S3's stored checksum, … */
  expectedFrom: string;
  expected: string;
  actual: string;
  /** How the actual value was obtained: stored checksum compared, or the object read in full. */
  how: "stored-checksum" | "full-read";
  sizeExpected?: number;
  sizeActual?: number;
  ok: boolean;
}

export interface Evidence {
  source: string;
  kind: SourceKind;
  recoveryPoint: RecoveryPoint | null;
  level: { requested: Level; target: Level; reached: Level | "none" };
  freshness: Freshness | null;
  checksums: ChecksumEvidence[];
  /** The measured restore (RTO): what was restored into, and how long it took. */
  restore: { target: string; durationMs: number; detail: string } | null;
  probes: ProbeResult[];
  teardown: Teardown;
  verified: boolean;
  /** Why it did not verify (empty when it did). */
  findings: string[];
}

export function newEvidence(source: string, kind: SourceKind, requested: Level, target: Level, point: RecoveryPoint | null): Evidence {
  return {
    source,
    kind,
    recoveryPoint: point,
    level: { requested, target, reached: "none" },
    freshness: null,
    checksums: [],
    restore: null,
    probes: [],
    teardown: { created: [], removed: [], leftovers: [] },
    verified: false,
    findings: [],
  };
}

/** One line for the result table and the log. */
export function summaryLine(e: Evidence): string {
  const t = e.teardown;
  const scratch = t.created.length
    ? `; scratch ${t.created.length} created, ${t.removed.length} removed${t.leftovers.length ? `, LEFTOVER ${t.leftovers.map((l) => l.id).join(", ")}` : ""}`
    : "";
  const rto = e.restore ? `; restore ${(e.restore.durationMs / 1000).toFixed(1)} s` : "";
  if (e.verified) return `verified at ${e.level.reached}${rto}${scratch}`;
  return `${e.findings.join("; ") || "not verified"} (reached ${e.level.reached})${rto}${scratch}`;
}
