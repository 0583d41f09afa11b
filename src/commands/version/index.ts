import { OUTPUT_FLAGS } from "../../cli/flags.ts";
import type { InfoCommand } from "../../core/command.ts";
import { infoReport } from "../../core/report.ts";

export const version: InfoCommand = {
  kind: "info",
  name: "version",
  description: "Print version, commit, build target and runtime",
  flags: OUTPUT_FLAGS,
  async run({ deps }) {
    const data = { ...deps.build, runtime: deps.runtime, platform: `${process.platform}-${process.arch}` };
    return infoReport("version", data, "version");
  },
};
