import type { FlagSpec } from "../../cli/flags.ts";
import type { OpsCommand } from "../../core/command.ts";

/**
 * What shell completion needs from the command registry, walked generically: the
 * command words of every group and leaf, each leaf's flags (value-taking or not, enum
 * values, whether the value is a file) and its positional values. A command added to
 * the registry is completed without touching this folder.
 */
export interface CompletionNode {
  /** Command words from the root, e.g. ["lock", "release"]; [] is the root. */
  words: string[];
  description: string;
  /** Sub-command names (groups only). */
  children: { name: string; description: string }[];
  flags: CompletionFlag[];
  /** Values of the first positional argument, when it has a fixed set. */
  positionalValues: string[];
  /** The first positional argument is a file (e.g. apply's plan file). */
  positionalIsFile: boolean;
}

export interface CompletionFlag {
  name: string;
  description: string;
  takesValue: boolean;
  values: string[];
  /** Value completion: environment names from config, file names, or nothing to offer. */
  valueFrom: "values" | "environments" | "files" | "none";
}

export function completionTree(root: OpsCommand): CompletionNode[] {
  const out: CompletionNode[] = [];
  const walk = (cmd: OpsCommand, words: string[]) => {
    if (cmd.kind === "group") {
      const children = Object.entries(cmd.subCommands).map(([name, c]) => ({ name, description: c.description }));
      out.push({ words, description: cmd.description, children, flags: [], positionalValues: [], positionalIsFile: false });
      for (const [name, c] of Object.entries(cmd.subCommands)) walk(c, [...words, name]);
      return;
    }
    const first = cmd.kind === "info" ? cmd.positionals?.[0] : undefined;
    out.push({
      words,
      description: cmd.description,
      children: [],
      flags: [...cmd.flags.map(toFlag), { name: "help", description: "Show help", takesValue: false, values: [], valueFrom: "none" }],
      positionalValues: [...(first?.values ?? [])],
      positionalIsFile: Boolean(first && !first.values && /file/i.test(first.description)),
    });
  };
  walk(root, []);
  return out;
}

function toFlag(f: FlagSpec): CompletionFlag {
  const takesValue = f.kind !== "boolean";
  const values = [...(f.values ?? [])];
  const valueFrom = !takesValue ? "none" : values.length ? "values" : f.name === "environment" ? "environments" : f.valueName === "FILE" ? "files" : "none";
  return { name: f.name, description: f.description, takesValue, values, valueFrom };
}
