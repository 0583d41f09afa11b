import type { ExitName } from "../exit-codes.ts";
import type { ScopeStatus } from "./plan.ts";

export interface ScopeEnd {
  status: ScopeStatus;
  /** The scope's own exit (what it would have exited with alone). */
  exit: ExitName;
  /** A skipped scope that counts as missing (not started after --max-failed-scopes), not one skipped by design (read-only). */
  missing?: boolean;
}

/** Failures of a whole run, when they differ, are reported in this order (the one to fix first). */
const FAILURE_ORDER: ExitName[] = ["internal", "usage", "validation", "remote"];

/**
 * One exit code for a run over many scopes (README "Exit codes across scopes"):
 * - 130 if the run was interrupted;
 * - 0 when every scope ended ok or no-op (read-only scopes skipped at apply count as ok);
 * - 10 (dry run) when every scope planned cleanly and at least one has changes;
 * - 5 when at least one scope failed, was locked, unreachable or not started and at least
 *   one succeeded (also in a dry run: a plan missing a scope is never a complete plan, so
 *   5 wins over 10), or when a scope applied in part;
 * - when every scope failed: their code if they agree, else the first of 1, 2, 3, 4.
 */
export function fleetExit(ends: ScopeEnd[]): ExitName {
  if (ends.some((e) => e.status === "interrupted" || e.exit === "interrupted")) return "interrupted";
  const bad = ends.filter((e) => e.status === "failed" || e.status === "locked" || (e.status === "skipped" && e.missing));
  const good = ends.filter((e) => !bad.includes(e));
  if (good.length === 0 && bad.length > 0) {
    const codes = new Set(bad.filter((e) => !e.missing).map((e) => e.exit));
    if (codes.size === 1) return [...codes][0] as ExitName;
    return FAILURE_ORDER.find((c) => codes.has(c)) ?? "remote";
  }
  if (bad.length > 0 || good.some((e) => e.status === "partial")) return "partial";
  if (good.some((e) => e.status === "planned" && e.exit === "changes")) return "changes";
  return "ok";
}
