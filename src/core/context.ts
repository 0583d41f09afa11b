import type { FlagSetting, ResolvedConfig } from "../config/resolve.ts";
import { resolveConfig } from "../config/resolve.ts";
import { isSecretPath } from "../config/schema-walk.ts";
import { resolveSecret } from "../config/secrets.ts";
import type { Flags, PlannableCommand, RunContext } from "./command.ts";
import type { Deps } from "./deps.ts";
import { usageError } from "./errors.ts";
import { createLogger } from "./log.ts";
import type { Scope } from "./plan.ts";

const ENV_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Resolves config for one environment, with the command's flags as the top layer. */
export async function loadConfigFor(cmd: PlannableCommand, deps: Deps, flags: Flags, environment: string): Promise<{ resolved: ResolvedConfig; scope: Scope }> {
  if (!ENV_NAME.test(environment)) {
    throw usageError([{ message: "--environment must be 1-64 letters, digits, - or _", source: { kind: "flag", name: "--environment" } }]);
  }
  const resolved = await resolveConfig({
    cwd: deps.cwd,
    env: deps.env,
    configFile: typeof flags.config === "string" ? flags.config : undefined,
    environment,
    flags: flagSettings(cmd, flags),
    redactor: deps.redactor,
  });
  const c = resolved.config;
  return { resolved, scope: { environment, ...(c.region ? { region: c.region } : {}), ...(c.account ? { account: c.account } : {}) } };
}

/** The run context every stage after config shares: logger, secrets, clients come from here. */
export async function createContext(deps: Deps, flags: Flags, resolved: ResolvedConfig, scope: Scope, needsRegion = true): Promise<RunContext> {
  if (needsRegion && !scope.region) {
    throw usageError([
      { message: `no region for environment '${scope.environment}': give --region, or set region or environments.${scope.environment}.region in config` },
    ]);
  }
  const log = await createLogger({ stderr: deps.stderr, quiet: flags.quiet === true, verbose: flags.verbose === true, color: useColor(deps, flags) });
  return {
    deps,
    flags,
    config: resolved.config,
    resolved,
    scope,
    log,
    redactor: deps.redactor,
    secret: (key) => {
      if (!isSecretPath(key.split("."))) throw new Error(`${key} is not a secret-marked config key`);
      const entry = resolved.entries.find((e) => e.key === key);
      return entry && typeof entry.value === "string" ? resolveSecret(entry.value, key, deps.env, deps.redactor) : undefined;
    },
  };
}

function flagSettings(cmd: PlannableCommand, flags: Flags): FlagSetting[] {
  return cmd.flags
    .filter((s) => s.configKey && flags[s.name] !== undefined)
    .map((s) => ({ key: s.configKey as string, value: flags[s.name], flag: `--${s.name}` }));
}

export function useColor(deps: Deps, flags: Flags): boolean {
  return deps.stderr.isTTY && flags["no-color"] !== true && !deps.env.NO_COLOR && deps.env.TERM !== "dumb";
}
