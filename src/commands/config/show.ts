import { CONFIG_FLAGS, OUTPUT_FLAGS } from "../../cli/flags.ts";
import type { InfoCommand } from "../../core/command.ts";
import { loadInfoConfig } from "../../core/info-config.ts";
import { showConfigReport } from "../../core/show-config.ts";

export const configShow: InfoCommand = {
  kind: "info",
  name: "show",
  description: "Print every resolved config key, its value and where it came from (secrets redacted)",
  flags: [{ name: "environment", kind: "string", valueName: "NAME", description: "Merge environments.<NAME> blocks" }, ...CONFIG_FLAGS, ...OUTPUT_FLAGS],
  async run({ deps, flags }) {
    const environment = typeof flags.environment === "string" ? flags.environment : undefined;
    const resolved = await loadInfoConfig(deps, flags, environment);
    const scope = environment ? { environment, ...(resolved.config.region ? { region: resolved.config.region } : {}) } : null;
    return showConfigReport("config show", resolved, scope);
  },
};
