import type { SourceKind } from "./sources.ts";

// Verification levels, cheapest first. Each level includes the ones before it.
export const LEVELS = ["exists", "integrity", "restore", "query"] as const;
export type Level = (typeof LEVELS)[number];

/** The deepest level each kind of source has a meaning for, and why it stops there. */
const DEEPEST: Record<SourceKind, { level: Level; why?: string }> = {
  "ebs-snapshots": { level: "restore", why: "a volume has no SQL to probe" },
  s3: { level: "integrity", why: "plain objects have no restore of their own; use pgdump:s3://… for a dump" },
  "postgres-dump": { level: "query" },
  pgbackrest: { level: "query" },
};

export function rank(level: Level): number {
  return LEVELS.indexOf(level);
}

/** The level a source is verified at: the requested one, or the deepest it supports (with the reason, shown in the plan). */
export function levelFor(kind: SourceKind, requested: Level): { level: Level; capped?: string } {
  const deepest = DEEPEST[kind];
  if (rank(requested) <= rank(deepest.level)) return { level: requested };
  return { level: deepest.level, capped: `${requested} does not apply to ${kind} (${deepest.why}); verified up to ${deepest.level}` };
}

export interface Freshness {
  ok: boolean;
  ageSeconds: number;
  maxAge: string;
  maxAgeSeconds: number;
  detail: string;
}

/** The RPO check every level starts with: is the newest recovery point younger than --max-age? */
export function freshness(pointTime: Date, now: Date, maxAge: string, maxAgeMs: number): Freshness {
  const ageMs = Math.max(0, now.getTime() - pointTime.getTime());
  const ok = ageMs <= maxAgeMs;
  return {
    ok,
    ageSeconds: Math.floor(ageMs / 1000),
    maxAge,
    maxAgeSeconds: Math.floor(maxAgeMs / 1000),
    detail: `newest recovery point ${pointTime.toISOString()} is ${humanAge(ageMs)} old, ${ok ? "within" : "older than"} --max-age ${maxAge}`,
  };
}

export function humanAge(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? `${h % 24}h` : ""}`;
}
