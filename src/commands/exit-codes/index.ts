import { OUTPUT_FLAGS } from "../../cli/flags.ts";
import type { InfoCommand } from "../../core/command.ts";
import { EXIT_CODES } from "../../core/exit-codes.ts";

export const exitCodes: InfoCommand = {
  kind: "info",
  name: "exit-codes",
  description: "Print the exit-code table (public API: never renumbered)",
  flags: OUTPUT_FLAGS,
  async run() {
    return {
      command: "exit-codes",
      mode: "info",
      scope: null,
      plan: null,
      result: { exitCodes: EXIT_CODES.map((r) => ({ ...r })) },
      exit: "ok",
      errors: [],
      view: "exit-codes",
    };
  },
};
