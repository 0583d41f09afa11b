import { OUTPUT_FLAGS } from "../../cli/flags.ts";
import type { InfoCommand } from "../../core/command.ts";

export const version: InfoCommand = {
  kind: "info",
  name: "version",
  description: "Print version, commit, build target and runtime",
  flags: OUTPUT_FLAGS,
  async run({ deps }) {
    const data = { ...deps.build, runtime: deps.runtime, platform: `${process.platform}-${process.arch}` };
    return { command: "version", mode: "info", scope: null, plan: null, result: data, exit: "ok", errors: [], view: "version" };
  },
};
