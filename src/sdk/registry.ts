import { installConfigSections } from "../config/model.ts";
import type { ConfigSection } from "../config/schema.ts";
import type { GroupCommand, OpsCommand, PlannableCommand, ReportCommand } from "../core/command.ts";

export interface RegistryOptions {
  /** The binary's name, shown in help and hints. */
  name: string;
  description: string;
  /** Built-in and team commands, by command word. */
  commands: Record<string, OpsCommand>;
}

/**
 * The command tree of one binary. Installs the config sections of every command, so
 * the config schema, env mapping, --show-config, redaction and `schema config` follow it.
 */
export function createRegistry(o: RegistryOptions): GroupCommand {
  const root: GroupCommand = { kind: "group", name: o.name, description: o.description, subCommands: o.commands };
  const sections: ConfigSection[] = [];
  const seen = new Map<string, PlannableCommand | ReportCommand>();
  for (const cmd of [...plannables(root), ...reports(root)]) {
    if (!cmd.config) continue;
    const other = seen.get(cmd.config.key);
    if (other && other.config !== cmd.config) throw new Error(`config section '${cmd.config.key}' is claimed by ${other.name} and ${cmd.name}`);
    seen.set(cmd.config.key, cmd);
    sections.push(cmd.config);
  }
  installConfigSections(sections, root);
  return root;
}

/** A group of team commands (`mytool db rotate-password`). */
export function group(name: string, description: string, commands: OpsCommand[]): GroupCommand {
  return { kind: "group", name, description, subCommands: Object.fromEntries(commands.map((c) => [c.name, c])) };
}

/** Read-only report commands (defineReport). */
export function reports(node: OpsCommand): ReportCommand[] {
  if (node.kind === "report") return [node];
  if (node.kind === "group") return Object.values(node.subCommands).flatMap(reports);
  return [];
}

export function plannables(node: OpsCommand): PlannableCommand[] {
  if (node.kind === "plannable") return [node];
  if (node.kind === "group") return Object.values(node.subCommands).flatMap(plannables);
  return [];
}
