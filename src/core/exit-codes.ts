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

export function exitCode(name: ExitName): number {
  const row = EXIT_CODES.find((r) => r.name === name);
  if (!row) throw new Error(`unknown exit name ${name}`);
  return row.code;
}
