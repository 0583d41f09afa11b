import { CONFIG_FLAGS, OUTPUT_FLAGS } from "../../cli/flags.ts";
import { resolveConfig } from "../../config/resolve.ts";
import { readAudit } from "../../core/audit.ts";
import type { InfoCommand } from "../../core/command.ts";
import { isOpsError } from "../../core/errors.ts";
import { problemsToErrors } from "../../core/report.ts";
import { stateDir } from "../../core/state-dir.ts";

export const history: InfoCommand = {
  kind: "info",
  name: "history",
  description: "Show the audit log of applies (newest first): who, when, plan digest, per-action results",
  flags: [{ name: "limit", kind: "integer", valueName: "N", description: "How many records (default 20)" }, ...CONFIG_FLAGS, ...OUTPUT_FLAGS],
  async run({ deps, flags }) {
    try {
      const resolved = await resolveConfig({
        cwd: deps.cwd,
        env: deps.env,
        configFile: typeof flags.config === "string" ? flags.config : undefined,
        flags: [],
        redactor: deps.redactor,
      });
      const dir = stateDir(resolved.config, deps.env, deps.cwd);
      const records = readAudit(dir, typeof flags.limit === "number" ? flags.limit : 20);
      return { command: "history", mode: "info", scope: null, plan: null, result: { stateDir: dir, records }, exit: "ok", errors: [], view: "history" };
    } catch (e) {
      if (!isOpsError(e)) throw e;
      return {
        command: "history",
        mode: "info",
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
