import { type ArgsDef, type CommandDef, defineCommand, renderUsage } from "citty";
import type { OpsCommand } from "../core/command.ts";
import { stripAnsi } from "../views/style.ts";

/**
 * The citty command tree, built from the registry. citty renders help; parsing is
 * ours (cli/argv.ts) because citty accepts unknown flags and has no lists or numbers.
 */
function toCitty(cmd: OpsCommand, path: string): CommandDef<ArgsDef> {
  const args: ArgsDef = {};
  if (cmd.kind !== "group") {
    for (const p of "positionals" in cmd ? (cmd.positionals ?? []) : []) {
      const description = p.values ? `${p.description}: ${p.values.join(" | ")}` : p.description;
      args[p.name] = { type: "positional", description, required: p.required ?? false };
    }
    for (const f of cmd.flags) {
      const description = f.kind === "list" ? `${f.description}` : f.description;
      args[f.name] =
        f.kind === "boolean"
          ? { type: "boolean", description }
          : f.kind === "enum"
            ? { type: "enum", description, options: [...(f.values ?? [])], required: f.required ?? false, ...(f.default ? { default: f.default } : {}) }
            : { type: "string", description, required: f.required ?? false, valueHint: f.valueName ?? f.name.toUpperCase() };
    }
  }
  return defineCommand({
    meta: { name: path, description: cmd.description },
    args,
    ...(cmd.kind === "group"
      ? { subCommands: Object.fromEntries(Object.entries(cmd.subCommands).map(([n, c]): [string, CommandDef<ArgsDef>] => [n, toCitty(c, `${path} ${n}`)])) }
      : {}),
  });
}

export async function helpText(cmd: OpsCommand, path: string, color: boolean): Promise<string> {
  let text = await renderUsage(toCitty(cmd, path));
  if (cmd.kind === "plannable") {
    text += `\nEXIT CODES  0 ok · 2 usage · 3 validation · 4 remote · 5 partial · 10 dry run found changes · 130 interrupted (opsctl exit-codes)\n`;
    text += `PERMISSIONS ${cmd.permissions.join(", ")}\n`;
  } else if (cmd.kind === "report") {
    text += `\nEXIT CODES  0 no findings · 10 findings · 2 usage · 3 validation · 4 remote (opsctl exit-codes); read-only\n`;
    text += `PERMISSIONS ${cmd.permissions.join(", ")}\n`;
  }
  text = text.replace(/[ \t]+$/gm, "");
  return color ? text : stripAnsi(text);
}
