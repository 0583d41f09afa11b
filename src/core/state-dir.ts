import { isAbsolute, join } from "node:path";
import type { Config } from "../config/schema.ts";

/** `stateDir` from config (relative to the working directory), else $XDG_STATE_HOME/opsctl, else ~/.local/state/opsctl. */
export function stateDir(config: Pick<Config, "stateDir">, env: Record<string, string | undefined>, cwd: string): string {
  if (config.stateDir) return isAbsolute(config.stateDir) ? config.stateDir : join(cwd, config.stateDir);
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "opsctl");
  return join(env.HOME ?? cwd, ".local", "state", "opsctl");
}
