import { OUTPUT_FLAGS } from "../../cli/flags.ts";
import type { InfoCommand } from "../../core/command.ts";
import { ACROSS_SCOPES, EXIT_CODES } from "../../core/exit-codes.ts";
import { infoReport } from "../../core/report.ts";

export const exitCodes: InfoCommand = {
  kind: "info",
  name: "exit-codes",
  description: "Print the exit-code table (public API: never renumbered)",
  flags: OUTPUT_FLAGS,
  async run() {
    return infoReport("exit-codes", { exitCodes: EXIT_CODES.map((r) => ({ ...r })), acrossScopes: ACROSS_SCOPES.map((r) => ({ ...r })) }, "exit-codes");
  },
};
