import { type ResolvedConfig, resolveConfig } from "../config/resolve.ts";
import type { Flags } from "./command.ts";
import type { Deps } from "./deps.ts";

/** Config for commands that only read it (config show, history, lock): no command flags on top. */
export function loadInfoConfig(deps: Deps, flags: Flags, environment?: string): Promise<ResolvedConfig> {
  return resolveConfig({
    cwd: deps.cwd,
    env: deps.env,
    configFile: typeof flags.config === "string" ? flags.config : undefined,
    environment,
    flags: [],
    redactor: deps.redactor,
  });
}
