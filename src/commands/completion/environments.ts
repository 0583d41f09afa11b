import { findRepoConfig, findUserConfig, loadConfigFile } from "../../config/files.ts";
import type { Deps } from "../../core/deps.ts";

/**
 * Environment names for completing --environment: the `environments` blocks and
 * `protectedEnvironments` of the repository config found from the working directory and
 * the user config. Only the documented config files are read; a file that does not load
 * contributes nothing (completion must never print errors into a shell prompt).
 */
export async function environmentNames(deps: Deps): Promise<string[]> {
  const names = new Set<string>();
  const paths = [safe(() => findRepoConfig(deps.cwd)), safe(() => findUserConfig(deps.env))];
  for (const path of paths) {
    if (!path) continue;
    try {
      const { data } = await loadConfigFile(path);
      const envs = data.environments;
      if (envs && typeof envs === "object") for (const k of Object.keys(envs)) names.add(k);
      if (Array.isArray(data.protectedEnvironments)) for (const k of data.protectedEnvironments) if (typeof k === "string") names.add(k);
    } catch {
      // Broken config: `opsctl config show` reports it; completion offers what it can.
    }
  }
  return [...names].filter((n) => /^[A-Za-z0-9_-]{1,64}$/.test(n)).sort();
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
