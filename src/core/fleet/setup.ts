import type { ResolvedConfig } from "../../config/resolve.ts";
import { ApiBudget, DEFAULT_SHARE } from "../../providers/aws/budget.ts";
import type { Flags, PlannableCommand } from "../command.ts";
import { type CoreContext, coreContext, loadConfigFor } from "../context.ts";
import type { Deps } from "../deps.ts";
import { usageError } from "../errors.ts";
import { describeConfigKey, loadTargets } from "../targets/load.ts";
import type { TargetsSpec } from "../targets/model.ts";

/** What a multi-scope run (a direct run or `apply FILE`) sets up once, before any scope. */
export interface FleetSetup {
  resolved: ResolvedConfig;
  spec: TargetsSpec;
  maxScopes: number;
  maxFailed: number | undefined;
  /** The one API budget every scope of the run spends. */
  budget: ApiBudget;
  sessionName: string;
  /** A core context for establishing a target's identity in a region and account (no command, the shared budget). */
  core: (region: string, account: string) => Promise<CoreContext>;
}

/**
 * Config for the environment (the fleet flags go through the config schema like any
 * configKey flag: fleet.maxScopes ≥ 1 …), the targets (`targetsFile`, else the config's),
 * the protected-environment rule (a run over many scopes has no per-scope prompt: the
 * confirmation is --yes) and the shared API budget.
 */
export async function setUpFleet(
  cmd: PlannableCommand,
  deps: Deps,
  flags: Flags,
  o: { environment: string; targetsFile: string | undefined; applying: boolean; protectedSource: string },
): Promise<FleetSetup> {
  const { resolved } = await loadConfigFor(
    cmd,
    deps,
    { config: flags.config, "max-scopes": flags["max-scopes"], "max-failed-scopes": flags["max-failed-scopes"] },
    o.environment,
  );
  const config = resolved.config;
  if (o.applying && !cmd.readOnly && config.protectedEnvironments.includes(o.environment) && flags.yes !== true) {
    throw usageError([
      { message: `environment '${o.environment}' is protected: pass --yes to apply across targets`, source: { kind: "flag", name: o.protectedSource } },
    ]);
  }
  const spec = await loadTargets({
    file: o.targetsFile,
    cwd: deps.cwd,
    config,
    sourceOfConfig: describeConfigKey(resolved, "targets"),
    redactor: deps.redactor,
  });
  const budget = new ApiBudget(
    { share: config.aws.apiBudget?.share ?? DEFAULT_SHARE, operations: config.aws.apiBudget?.operations ?? {} },
    undefined,
    deps.signal,
  );
  return {
    resolved,
    spec,
    maxScopes: config.fleet.maxScopes,
    maxFailed: config.fleet.maxFailedScopes,
    budget,
    sessionName: `opsctl-${cmd.name}`.slice(0, 64),
    core: (region, account) =>
      coreContext({ ...deps, binding: { name: "identity", budget } }, flags, resolved, {
        environment: o.environment,
        region: config.region ?? region,
        account,
      }),
  };
}
