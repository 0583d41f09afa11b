import { configModel } from "../config/model.ts";
import type { FlagSetting, ResolvedConfig } from "../config/resolve.ts";
import { forSection, resolveConfig } from "../config/resolve.ts";
import { isSecretPath } from "../config/schema-walk.ts";
import { resolveSecret } from "../config/secrets.ts";
import type { Flags, PlannableCommand, RunContext } from "./command.ts";
import type { Deps } from "./deps.ts";
import { usageError } from "./errors.ts";
import { createLogger } from "./log.ts";
import type { Scope } from "./plan.ts";
import type { Phase, ProviderFactory } from "./providers.ts";

const ENV_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Resolves config for one environment, with the command's flags as the top layer. */
export async function loadConfigFor(
  cmd: Pick<PlannableCommand, "flags" | "config">,
  deps: Deps,
  flags: Flags,
  environment: string,
): Promise<{ resolved: ResolvedConfig; scope: Scope }> {
  if (!ENV_NAME.test(environment)) {
    throw usageError([{ message: "--environment must be 1-64 letters, digits, - or _", source: { kind: "flag", name: "--environment" } }]);
  }
  const all = await resolveConfig({
    cwd: deps.cwd,
    env: deps.env,
    configFile: typeof flags.config === "string" ? flags.config : undefined,
    environment,
    flags: flagSettings(cmd, flags),
    redactor: deps.redactor,
  });
  const resolved = forSection(all, configModel().sections, cmd.config?.key);
  const c = resolved.config;
  return { resolved, scope: { environment, ...(c.region ? { region: c.region } : {}), ...(c.account ? { account: c.account } : {}) } };
}

/** The run context every stage after config shares: logger, secrets, clients come from here. */
export async function createContext(
  cmd: Pick<PlannableCommand, "name" | "config" | "providers" | "needsRegion" | "scopeTarget">,
  deps: Deps,
  flags: Flags,
  resolved: ResolvedConfig,
  scope: Scope,
  args: Record<string, string> = {},
): Promise<RunContext> {
  const config = resolved.config;
  const section = cmd.config ? (resolved.config as unknown as Record<string, unknown>)[cmd.config.key] : undefined;
  if ((cmd.needsRegion?.(section, config) ?? true) && !scope.region) {
    throw usageError([
      { message: `no region for environment '${scope.environment}': give --region, or set region or environments.${scope.environment}.region in config` },
    ]);
  }
  const core = await coreContext(deps, flags, resolved, scope);
  const declared = new Map<string, ProviderFactory | undefined>();
  for (const p of cmd.providers) {
    if (typeof p === "string") declared.set(p, deps.providers[p]);
    else declared.set(p.name, deps.providers[p.name] ?? p.create);
  }
  let phase: Phase = "plan";
  const ctx: RunContext & { setPhase(p: Phase): void } = {
    ...core,
    flags,
    args,
    section,
    resolved,
    redactor: deps.redactor,
    get phase() {
      return phase;
    },
    setPhase: (p) => {
      phase = p;
    },
    provider: ((which: string | { name: string }, ...args: unknown[]) => {
      const name = typeof which === "string" ? which : which.name;
      if (!declared.has(name)) throw new Error(`${cmd.name} asked for provider '${name}' but does not declare it in providers`);
      const make = declared.get(name);
      if (!make) throw new Error(`provider '${name}' is not registered in this binary`);
      return make(...args);
    }) as RunContext["provider"],
  };
  const target = cmd.scopeTarget?.(ctx);
  if (target) ctx.scope = { ...scope, target };
  return ctx;
}

export type CoreContext = Pick<RunContext, "deps" | "config" | "scope" | "log" | "secret">;

/** What core infrastructure (lock stores, audit) needs: config, logger and secrets, no command. */
export async function coreContext(deps: Deps, flags: Flags, resolved: ResolvedConfig, scope: Scope): Promise<CoreContext> {
  const log = await createLogger({ stderr: deps.stderr, quiet: flags.quiet === true, verbose: flags.verbose === true, color: useColor(deps, flags) });
  return {
    deps,
    config: resolved.config,
    scope,
    log,
    secret: (key) => {
      if (!isSecretPath(key.split("."))) throw new Error(`${key} is not a secret-marked config key`);
      const entry = resolved.entries.find((e) => e.key === key);
      return entry && typeof entry.value === "string" ? resolveSecret(entry.value, key, deps.env, deps.redactor) : undefined;
    },
  };
}

/** Moves a run to its next stage; clients handed out earlier follow it (they read ctx.phase per call). */
export function enterPhase(ctx: RunContext, phase: Phase): void {
  (ctx as RunContext & { setPhase?: (p: Phase) => void }).setPhase?.(phase);
}

function flagSettings(cmd: Pick<PlannableCommand, "flags">, flags: Flags): FlagSetting[] {
  return cmd.flags
    .filter((s) => s.configKey && flags[s.name] !== undefined)
    .map((s) => ({ key: s.configKey as string, value: flags[s.name], flag: `--${s.name}` }));
}

export function useColor(deps: Deps, flags: Flags): boolean {
  return deps.stderr.isTTY && flags["no-color"] !== true && !deps.env.NO_COLOR && deps.env.TERM !== "dumb";
}
