import { OUTPUT_FLAGS, SCOPE_FLAGS } from "../../cli/flags.ts";
import type { InfoCommand } from "../../core/command.ts";
import { isOpsError } from "../../core/errors.ts";
import { FLEET_PLAN_SCHEMA_ID } from "../../core/fleet/plan.ts";
import { failureReport, problemsToErrors } from "../../core/report.ts";
import { checkSavedPlan, readPlanFile } from "../../core/saved-plan.ts";
import { FLEET_APPLY_FLAGS } from "./flags.ts";
import { applySaved } from "./saved.ts";

export const apply: InfoCommand = {
  kind: "info",
  name: "apply",
  description: "Apply a plan saved with --dry-run --out, exactly as reviewed, after re-checking it against live state",
  positionals: [{ name: "plan", description: "plan file written by `<command> --dry-run --out FILE`", required: true }],
  flags: [
    { name: "max-age", kind: "duration", valueName: "DURATION", description: "Refuse plans older than this (default 1h)", default: "1h" },
    { name: "yes", kind: "boolean", description: "Confirm applying to a protected environment" },
    // Accepted as confirmation of the plan's scope; a different value is refused.
    ...SCOPE_FLAGS.map((f) => ({ ...f, required: false, description: `${f.description}; must match the plan's` })),
    { name: "concurrency", kind: "integer", configKey: "executor.concurrency", valueName: "N", description: "Actions applied at once (default 4)" },
    {
      name: "lock-timeout",
      kind: "duration",
      configKey: "lock.timeout",
      valueName: "DURATION",
      description: "Wait this long for a held lock (default: do not wait)",
    },
    { name: "config", kind: "string", valueName: "FILE", description: "Repository config file (instead of searching upward)" },
    ...FLEET_APPLY_FLAGS,
    ...OUTPUT_FLAGS,
  ],
  async run({ deps, flags, positionals, root }) {
    const file = positionals[0] as string;
    const maxAge = typeof flags["max-age"] === "string" ? flags["max-age"] : "1h";
    try {
      const raw = readPlanFile(file);
      // A multi-scope plan applies scope by scope (each one as below); --scope chooses a subset. Loaded on
      // demand: it reads targets files (a YAML parser) that a one-scope apply never needs.
      if ((raw as { schema?: unknown })?.schema === FLEET_PLAN_SCHEMA_ID)
        return await (await import("./fleet.ts")).applyFleet(raw, file, { deps, flags, root, maxAge });
      // The multi-scope flags mean nothing for a one-scope plan: refused, never silently ignored.
      const fleetOnly = FLEET_APPLY_FLAGS.map((f) => f.name).filter((n) => flags[n] !== undefined);
      if (fleetOnly.length) {
        const errors = fleetOnly.map((n) => ({
          code: "usage" as const,
          message: `--${n} is for a multi-scope plan; ${file} is a plan for one scope`,
          source: `flag --${n}`,
        }));
        return { ...failureReport("apply", "usage", errors), mode: "apply" };
      }
      return await applySaved(checkSavedPlan(raw, file, deps, maxAge), file, { deps, flags, root });
    } catch (e) {
      if (!isOpsError(e)) throw e;
      return { ...failureReport("apply", e.exit, problemsToErrors(e.exit, e.problems), e.hint), mode: "apply" };
    }
  },
};
