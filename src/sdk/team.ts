import { DESCRIPTION } from "../commands/index.ts";
import type { GroupCommand, OpsCommand } from "../core/command.ts";
import { createRegistry, group as groupOf } from "./registry.ts";

export type { OpsCommand };

export interface TeamRegistryOptions {
  name: string;
  builtins: Record<string, OpsCommand>;
  /** [folder name, the module's default export] per team command. */
  team: [string, unknown][];
  /** Team commands run as `<name> <group> <command>` when set. */
  group: string | null;
}

/**
 * The registry of a team binary (used by the generated entry): built-ins plus the
 * team's commands. A clash with a built-in, a module without a command as its default
 * export, or a folder not named after its command is a build error.
 */
export function teamRegistry(o: TeamRegistryOptions): GroupCommand {
  const problems: string[] = [];
  const commands: OpsCommand[] = [];
  for (const [folder, mod] of o.team) {
    const cmd = mod as OpsCommand | undefined;
    if (!cmd || typeof cmd !== "object" || !("kind" in cmd) || cmd.kind === "group") {
      problems.push(`${folder}/index.ts: its default export must be a command (export default defineCommand({...}))`);
      continue;
    }
    if (cmd.name !== folder) problems.push(`${folder}/index.ts: defines '${cmd.name}'; the folder must be named after its command`);
    commands.push(cmd);
  }
  const words = o.group ? [o.group] : commands.map((c) => c.name);
  for (const w of words)
    if (o.builtins[w]) problems.push(`'${w}' clashes with the built-in command '${w}': rename it${o.group ? "" : " or build with --group"}`);
  if (problems.length) throw new Error(`team commands for ${o.name}:\n  ${problems.join("\n  ")}`);
  const team = o.group ? { [o.group]: groupOf(o.group, `${o.name}'s own commands`, commands) } : Object.fromEntries(commands.map((c) => [c.name, c]));
  return createRegistry({ name: o.name, description: `${o.name}: team commands on opsctl. ${DESCRIPTION}`, commands: { ...o.builtins, ...team } });
}
