import { CONFIG_FLAGS, OUTPUT_FLAGS } from "../../cli/flags.ts";
import { resolveConfig } from "../../config/resolve.ts";
import { describeSecret } from "../../config/secrets.ts";
import type { InfoCommand } from "../../core/command.ts";
import { usageError } from "../../core/errors.ts";
import type { Report } from "../../core/report.ts";
import { TARGET_SELECTION_FLAGS } from "../../core/targets/flags.ts";
import { describeConfigKey, loadTargets } from "../../core/targets/load.ts";
import type { Selection, Target } from "../../core/targets/model.ts";
import { selectTargets } from "../../core/targets/select.ts";
import { type ListResult, renderList, type ShownTarget } from "./render.ts";

export const list: InfoCommand = {
  kind: "info",
  name: "list",
  description: "Show which targets a selection picks (and which are blocked, and why); contacts nothing",
  flags: [
    ...TARGET_SELECTION_FLAGS,
    {
      name: "environment",
      kind: "string",
      valueName: "NAME",
      description: "Select as a run in this environment would (environments.<NAME> config, targets' environments); default: every target",
    },
    ...CONFIG_FLAGS,
    ...OUTPUT_FLAGS,
  ],
  async run({ deps, flags }) {
    const environment = typeof flags.environment === "string" ? flags.environment : undefined;
    if (environment !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(environment)) {
      throw usageError([{ message: "--environment must be 1-64 letters, digits, - or _", source: { kind: "flag", name: "--environment" } }]);
    }
    const resolved = await resolveConfig({
      cwd: deps.cwd,
      env: deps.env,
      configFile: typeof flags.config === "string" ? flags.config : undefined,
      environment,
      flags: [],
      redactor: deps.redactor,
    });
    const spec = await loadTargets({
      file: typeof flags.targets === "string" ? flags.targets : undefined,
      cwd: deps.cwd,
      config: resolved.config,
      sourceOfConfig: describeConfigKey(resolved, "targets"),
      redactor: deps.redactor,
    });
    const names = (flags.target as string[] | undefined) ?? [];
    const tags = (flags["target-tag"] as string[] | undefined) ?? [];
    let selection: Selection;
    if (environment !== undefined) {
      selection = selectTargets(spec, { names, tags, environment });
    } else {
      // No environment: every target counts, whatever environments it is limited to (shown in its row).
      const open = { ...spec, targets: spec.targets.map((t) => ({ ...t, environments: undefined })) };
      const picked = selectTargets(open, { names, tags, environment: "(any)" });
      const byName = new Map(spec.targets.map((t) => [t.name, t]));
      selection = { ...picked, targets: picked.targets.map((t) => byName.get(t.name) as Target) };
    }
    const result: ListResult = {
      source: spec.source,
      criteria: { ...selection.criteria, environment: environment ?? null },
      targets: selection.targets.map(show),
      blocked: selection.blocked,
    };
    const report: Report = {
      command: "targets list",
      mode: "info",
      scope: null,
      plan: null,
      result,
      exit: "ok",
      errors: [],
      view: "text",
      text: renderList(result),
    };
    return report;
  },
};

/** A target as shown: its external id only as where it comes from, never the value. */
function show(t: Target): ShownTarget {
  const { source, ...rest } = t;
  if (rest.kind === "aws" && rest.externalId) return { ...rest, externalId: describeSecret(rest.externalId, source), source };
  return { ...rest, source };
}
