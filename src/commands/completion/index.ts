import { OUTPUT_FLAGS } from "../../cli/flags.ts";
import type { InfoCommand } from "../../core/command.ts";
import { infoReport } from "../../core/report.ts";
import { bashScript } from "./bash.ts";
import { environmentNames } from "./environments.ts";
import { completionTree } from "./model.ts";
import { fishScript, zshScript } from "./zsh-fish.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;

/**
 * `opsctl completion bash|zsh|fish` prints a completion script generated from the
 * command registry; `opsctl completion environments` prints the environment names the
 * config here defines, one a line (the scripts call it when completing --environment).
 */
export const completion: InfoCommand = {
  kind: "info",
  name: "completion",
  description: "Print a shell completion script (bash, zsh, fish) generated from the command registry",
  positionals: [
    {
      name: "shell",
      description: "bash|zsh|fish, or environments (the environment names the config here defines, for the scripts)",
      required: true,
      values: [...SHELLS, "environments"],
    },
  ],
  // No --config: completion is best effort and never fails on configuration (a broken
  // file offers no names); `opsctl config show` is where configuration errors are reported.
  flags: OUTPUT_FLAGS,
  async run({ deps, positionals, root }) {
    const what = positionals[0] as (typeof SHELLS)[number] | "environments";
    if (what === "environments") {
      const names = await environmentNames(deps);
      return infoReport("completion", { environments: names, text: names.join("\n") }, "text");
    }
    // The registry of the running binary: a team binary completes its own commands.
    const nodes = completionTree(root);
    const prog = root.name;
    const script = what === "bash" ? bashScript(nodes, prog) : what === "zsh" ? zshScript(nodes, prog) : fishScript(nodes, prog);
    return infoReport("completion", { shell: what, text: script.trimEnd() }, "text");
  },
};
