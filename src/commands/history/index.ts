import { CONFIG_FLAGS, OUTPUT_FLAGS } from "../../cli/flags.ts";
import { readAudit } from "../../core/audit.ts";
import type { InfoCommand } from "../../core/command.ts";
import { loadInfoConfig } from "../../core/info-config.ts";
import { infoReport } from "../../core/report.ts";
import { stateDir } from "../../core/state-dir.ts";

export const history: InfoCommand = {
  kind: "info",
  name: "history",
  description: "Show the audit log of applies (newest first): who, when, plan digest, per-action results",
  flags: [{ name: "limit", kind: "integer", valueName: "N", description: "How many records (default 20)" }, ...CONFIG_FLAGS, ...OUTPUT_FLAGS],
  async run({ deps, flags }) {
    const resolved = await loadInfoConfig(deps, flags);
    const dir = stateDir(resolved.config, deps.env, deps.cwd);
    const records = readAudit(dir, typeof flags.limit === "number" ? flags.limit : 20);
    return infoReport("history", { stateDir: dir, records }, "history");
  },
};
