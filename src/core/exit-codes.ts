// The exit-code table is public API (DESIGN §2): never renumber, only append.
export const EXIT_CODES = [
  { code: 0, name: "ok", when: "success; also a dry run that found nothing to change" },
  { code: 1, name: "internal", when: "unexpected runtime failure (a bug); the message says how to report it" },
  {
    code: 2,
    name: "usage",
    when: "invalid arguments or configuration: unknown flag, missing or bad value, config file that does not parse or fails its schema, protected environment without confirmation",
  },
  {
    code: 3,
    name: "validation",
    when: "validation failed before any mutation: safety check, guardrail, stale or tampered plan file, control plane rejected the dry-run call; also a verification that failed when nothing was created",
  },
  {
    code: 4,
    name: "remote",
    when: "a remote dependency failed (unreachable, timed out, throttled past retries, credentials rejected, lock held) and nothing was changed",
  },
  {
    code: 5,
    name: "partial",
    when: "some actions were applied and some failed or were not reached; also a verification that failed after scratch resources were created",
  },
  { code: 10, name: "changes", when: "dry run found changes (the plan is not empty)" },
  { code: 130, name: "interrupted", when: "SIGINT/SIGTERM; the result still records what was applied" },
] as const;

export type ExitName = (typeof EXIT_CODES)[number]["name"];

/**
 * One exit code for a run over many scopes (a target selection: accounts × regions,
 * Kubernetes contexts), in the table's words; fleetExit() implements it, row by row.
 */
export const ACROSS_SCOPES = [
  { code: 0, name: "ok", when: "every selected scope ended ok or no-op (a read-only target planned but not applied counts as ok)" },
  { code: 10, name: "changes", when: "dry run: every scope planned cleanly and at least one has changes" },
  {
    code: 5,
    name: "partial",
    when: "at least one scope failed, was unreachable, locked or not started and at least one succeeded, or a scope applied in part; also in a dry run: a plan missing a scope is never complete, so 5 wins over 10",
  },
  { code: "2|3|4", name: "usage|validation|remote", when: "every scope failed: the code they share; when they differ, the first of 1, 2, 3, 4" },
  { code: 130, name: "interrupted", when: "SIGINT/SIGTERM: scopes not started are reported as not started" },
] as const;

export function exitCode(name: ExitName): number {
  const row = EXIT_CODES.find((r) => r.name === name);
  if (!row) throw new Error(`unknown exit name ${name}`);
  return row.code;
}
