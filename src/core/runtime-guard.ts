/**
 * Environment variables that make the Bun runtime inside a compiled opsctl load code
 * that is not opsctl's. The build turns off every file the runtime would read from the
 * working directory (scripts/build.ts HERMETIC_FLAGS); these variables have no build
 * switch (measured with Bun 1.4.5):
 *
 * - BUN_OPTIONS adds runtime flags (`--preload FILE`, `--eval`) before opsctl starts.
 *   By the time this check runs a preload has already run, so refusing is a tripwire,
 *   not a defence: it stops opsctl from going on to act with the operator's
 *   credentials in a process someone else has loaded code into, and says why.
 * - BUN_BE_BUN=1 turns the binary into the `bun` CLI; opsctl's code never runs, so
 *   nothing here can see it (README "Security" says so).
 *
 * NODE_OPTIONS, BUN_INSPECT, BUN_INSPECT_CONNECT_TO and BUN_INSPECT_PRELOAD were
 * measured to have no effect on a compiled binary.
 */
export function injectedRuntimeOptions(env: Record<string, string | undefined>, runtime: string): string | undefined {
  if (!runtime.startsWith("bun ")) return undefined;
  const value = env.BUN_OPTIONS;
  if (value === undefined || value.trim() === "") return undefined;
  return (
    "opsctl: refusing to run: BUN_OPTIONS is set in the environment; it passes runtime options (such as --preload FILE) " +
    "that load code which is not opsctl's. Unset BUN_OPTIONS and run again."
  );
}
