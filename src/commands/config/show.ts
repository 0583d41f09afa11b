import { CONFIG_FLAGS, OUTPUT_FLAGS } from "../../cli/flags.ts";
import { resolveConfig } from "../../config/resolve.ts";
import type { InfoCommand } from "../../core/command.ts";
import { isOpsError } from "../../core/errors.ts";
import { problemsToErrors } from "../../core/report.ts";
import { showConfigReport } from "../../core/show-config.ts";

export const configShow: InfoCommand = {
  kind: "info",
  name: "show",
  description: "Print every resolved config key, its value and where it came from (secrets redacted)",
  flags: [{ name: "environment", kind: "string", valueName: "NAME", description: "Merge environments.<NAME> blocks" }, ...CONFIG_FLAGS, ...OUTPUT_FLAGS],
  async run({ deps, flags }) {
    const environment = typeof flags.environment === "string" ? flags.environment : undefined;
    try {
      const resolved = await resolveConfig({
        cwd: deps.cwd,
        env: deps.env,
        configFile: typeof flags.config === "string" ? flags.config : undefined,
        environment,
        flags: [],
        redactor: deps.redactor,
      });
      const scope = environment ? { environment, ...(resolved.config.region ? { region: resolved.config.region } : {}) } : null;
      return showConfigReport("config show", resolved, scope);
    } catch (e) {
      if (!isOpsError(e)) throw e;
      return {
        command: "config show",
        mode: "show-config",
        scope: null,
        plan: null,
        result: null,
        exit: e.exit,
        errors: problemsToErrors(e.exit, e.problems),
        view: "error",
      };
    }
  },
};
