import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Redactor } from "../config/redact.ts";
import { type FlagSetting, type ResolvedConfig, resolveConfig } from "../config/resolve.ts";
import { isSecretPath } from "../config/schema-walk.ts";
import { resolveSecret } from "../config/secrets.ts";
import type { Flags, PlannableCommand, RunContext } from "./command.ts";
import type { Deps } from "./deps.ts";
import { isOpsError, OpsError, usageError, validationError } from "./errors.ts";
import { execute, exitForResult } from "./executor.ts";
import { checkGuardrails } from "./guardrails.ts";
import { createLogger } from "./log.ts";
import { PLAN_SCHEMA_ID, type Plan, type Scope, sealPlan } from "./plan.ts";
import { type ExecutionResult, problemsToErrors, type Report } from "./report.ts";
import { describeScope } from "./scope-text.ts";
import { showConfigReport } from "./show-config.ts";

const ENV_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface PlannableInvocation {
  deps: Deps;
  flags: Flags;
  path: string;
}

/**
 * The one code path of DESIGN §1: config → plan → validate → dry run stops, or the
 * same plan is executed. Failures become a Report carrying whatever was reached
 * (scope, plan), so even errors come out in the requested format.
 */
export async function runPlannable(cmd: PlannableCommand, inv: PlannableInvocation): Promise<Report> {
  const { deps, flags } = inv;
  const dryRun = flags["dry-run"] === true;
  const state: { scope: Scope | null; plan: Plan | null; result: ExecutionResult | null } = { scope: null, plan: null, result: null };
  const report = (exit: Report["exit"], extra: Partial<Report> = {}): Report => ({
    command: cmd.name,
    mode: dryRun ? "dry-run" : "apply",
    scope: state.scope,
    plan: state.plan,
    result: state.result,
    exit,
    errors: [],
    view: "plan",
    ...extra,
  });

  try {
    const environment = String(flags.environment);
    if (!ENV_NAME.test(environment)) {
      throw usageError([{ message: "--environment must be 1-64 letters, digits, - or _", source: { kind: "flag", name: "--environment" } }]);
    }
    const redactor = deps.redactor;
    const resolved = await resolveConfig({
      cwd: deps.cwd,
      env: deps.env,
      configFile: typeof flags.config === "string" ? flags.config : undefined,
      environment,
      flags: flagSettings(cmd, flags),
      redactor,
    });
    const config = resolved.config;
    state.scope = { environment, ...(config.region ? { region: config.region } : {}), ...(config.account ? { account: config.account } : {}) };
    if (flags["show-config"] === true) return showConfigReport(cmd.name, resolved, state.scope);

    if (!config.region) {
      throw usageError([
        { message: `no region for environment '${environment}': give --region, or set region or environments.${environment}.region in config` },
      ]);
    }
    if (flags.out !== undefined && !dryRun) {
      throw usageError([
        { message: "--out saves a plan and needs --dry-run (apply a saved plan with `opsctl apply FILE`)", source: { kind: "flag", name: "--out" } },
      ]);
    }
    const isProtected = config.protectedEnvironments.includes(environment);
    if (!dryRun && isProtected && flags.yes !== true && !deps.stdinIsTTY) {
      throw usageError([
        {
          message: `environment '${environment}' is protected: pass --yes to apply (or run on a terminal and type its name)`,
          source: { kind: "flag", name: "--environment" },
        },
      ]);
    }

    const color = useColor(deps, flags);
    const log = await createLogger({ stderr: deps.stderr, quiet: flags.quiet === true, verbose: flags.verbose === true, color });
    const ctx: RunContext = {
      deps,
      flags,
      config,
      resolved,
      scope: state.scope,
      log,
      redactor,
      secret: (key) => secretValue(resolved, key, deps, redactor),
    };

    log.debug(`planning ${cmd.name} in ${describeScope(state.scope)}`);
    const draft = await cmd.plan(ctx);
    const unsealed = {
      schema: PLAN_SCHEMA_ID,
      command: cmd.name,
      scope: state.scope,
      parameters: cmd.parameters(ctx),
      createdAt: deps.now().toISOString(),
      version: deps.build.version,
      configDigest: resolved.digest,
      actions: draft.actions,
      skipped: draft.skipped,
      checks: draft.checks ?? [],
    } as const;
    state.plan = sealPlan(unsealed);
    const validation = cmd.validate && draft.actions.length ? await cmd.validate(state.plan, ctx) : {};
    const checks = [...unsealed.checks, ...(validation.plan ?? []), ...checkGuardrails(state.plan, config)];
    const actions = draft.actions.map((a) => ({ ...a, checks: [...a.checks, ...(validation.actions?.[a.id] ?? [])] }));
    state.plan = sealPlan({ ...unsealed, actions, checks });
    const failed = [...checks, ...actions.flatMap((a) => a.checks)].filter((c) => c.status === "failed");
    if (failed.length) {
      throw validationError(
        failed.map((c) => ({ message: `${c.name}: ${c.detail}` })),
        "Nothing was changed.",
      );
    }

    if (dryRun) {
      if (typeof flags.out === "string") writePlanFile(resolve(deps.cwd, flags.out), state.plan, redactor);
      return report(state.plan.actions.length ? "changes" : "ok");
    }
    if (isProtected && flags.yes !== true && state.plan.actions.length) {
      await confirmOnTerminal(deps, environment, state.plan);
    }
    state.result = await execute(state.plan, cmd, ctx);
    return report(exitForResult(state.result), { view: "result" });
  } catch (e) {
    if (!isOpsError(e)) throw e;
    return report(e.exit, { errors: problemsToErrors(e.exit, e.problems), view: state.plan ? "plan" : "error", hint: e.hint });
  }
}

function flagSettings(cmd: PlannableCommand, flags: Flags): FlagSetting[] {
  return cmd.flags
    .filter((s) => s.configKey && flags[s.name] !== undefined)
    .map((s) => ({ key: s.configKey as string, value: flags[s.name], flag: `--${s.name}` }));
}

function secretValue(resolved: ResolvedConfig, key: string, deps: Deps, redactor: Redactor): string | undefined {
  if (!isSecretPath(key.split("."))) throw new Error(`${key} is not a secret-marked config key`);
  const entry = resolved.entries.find((e) => e.key === key);
  if (!entry || typeof entry.value !== "string") return undefined;
  return resolveSecret(entry.value, key, deps.env, redactor);
}

async function confirmOnTerminal(deps: Deps, environment: string, plan: Plan): Promise<void> {
  const answer = await deps.prompt(
    `About to apply ${plan.actions.length} action(s) to protected environment '${environment}'. Type the environment name to continue: `,
  );
  if (answer?.trim() !== environment) {
    throw new OpsError("usage", [{ message: `confirmation did not match '${environment}'; nothing was changed` }]);
  }
}

const BAD_PATH = new Set(["ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EROFS"]);

export function writePlanFile(path: string, plan: Plan, redactor: Redactor): void {
  try {
    writeFileSync(path, `${redactor.scrub(JSON.stringify(plan, null, 2))}\n`, { mode: 0o600 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    // A path the operator got wrong is usage; a disk failing under us (ENOSPC, EIO) is not.
    if (!BAD_PATH.has(code)) throw new Error(`cannot write plan file ${path} (${code})`);
    throw usageError([{ message: `cannot write plan file ${path} (${code})`, source: { kind: "flag", name: "--out" } }]);
  }
}

export function useColor(deps: Deps, flags: Flags): boolean {
  return deps.stderr.isTTY && flags["no-color"] !== true && !deps.env.NO_COLOR && deps.env.TERM !== "dumb";
}
