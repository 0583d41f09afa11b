import { activateConfigFor } from "../config/model.ts";
import type { Flags, GroupCommand, OpsCommand } from "../core/command.ts";
import type { Deps } from "../core/deps.ts";
import { isOpsError, usageError } from "../core/errors.ts";
import { exitCode } from "../core/exit-codes.ts";
import { writeJson } from "../core/json-stream.ts";
import { failureReport, problemsToErrors, type Report } from "../core/report.ts";
import { closest } from "../core/suggest.ts";
import { toEnvelope } from "../views/envelope.ts";
import { createStyle } from "../views/style.ts";
import { renderErrors, renderText } from "../views/text/index.ts";
import { parseArgv, printable, wantsJson } from "./argv.ts";
import { helpText } from "./help.ts";

const BUG_HINT = "This is a bug in opsctl. Please report it with the command you ran and the output of 'opsctl version --format json'.";

/** Runs one invocation and returns the exit code; only src/main.ts turns it into process exit. */
export async function runCli(argv: string[], root: GroupCommand, rawDeps: Deps): Promise<number> {
  const scrubbed = (w: Deps["stdout"]) => ({ isTTY: w.isTTY, write: (t: string) => w.write(rawDeps.redactor.scrub(t)) });
  const deps: Deps = { ...rawDeps, stdout: scrubbed(rawDeps.stdout), stderr: scrubbed(rawDeps.stderr) };
  const json = wantsJson(argv);
  const outColor = deps.stdout.isTTY && !argv.includes("--no-color") && !deps.env.NO_COLOR && deps.env.TERM !== "dumb";
  const errColor = deps.stderr.isTTY && !argv.includes("--no-color") && !deps.env.NO_COLOR && deps.env.TERM !== "dumb";

  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    deps.stdout.write(`${deps.build.version}\n`);
    return 0;
  }

  const program = root.name;
  activateConfigFor(root);
  let report: Report;
  let commandPath = "";
  try {
    const { cmd, path, rest } = resolveCommand(root, argv);
    commandPath = path;
    const dashdash = rest.indexOf("--");
    const beforeDashDash = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
    if (cmd.kind === "group" || beforeDashDash.includes("--help") || beforeDashDash.includes("-h")) {
      if (cmd.kind === "group" && !beforeDashDash.includes("--help") && !beforeDashDash.includes("-h")) {
        const extra = rest.find((r) => !r.startsWith("-"));
        const hint = path ? `Run '${program} ${path} --help'` : `Run '${program} --help'`;
        throw usageError(extra ? unknownCommand(cmd, extra) : `${path ? `'${program} ${path}'` : program} needs a command`, hint);
      }
      deps.stdout.write(`${await helpText(cmd, path ? `${program} ${path}` : program, outColor)}\n`);
      return 0;
    }
    const parsed = parseArgv(rest, cmd.flags, cmd.kind === "info" ? (cmd.positionals ?? []) : [], path, program);
    const flags: Flags = cmd.kind === "plannable" && cmd.dryRunOnly ? { ...parsed.flags, "dry-run": true } : parsed.flags;
    if (cmd.kind === "plannable") {
      const { runPlannable } = await import("../core/pipeline.ts");
      report = await runPlannable(cmd, { deps, flags, path });
    } else {
      report = await cmd.run({ deps, flags, positionals: parsed.positionals, path, root });
    }
  } catch (e) {
    const command = commandPath || program;
    if (isOpsError(e)) {
      report = failureReport(command, e.exit, problemsToErrors(e.exit, e.problems), e.hint);
    } else {
      if (argv.includes("--verbose") && (e as Error)?.stack) deps.stderr.write(`${(e as Error).stack}\n`);
      report = failureReport(command, "internal", [{ code: "internal", message: `internal error: ${(e as Error)?.message ?? String(e)}` }], BUG_HINT);
    }
  }

  if (json) {
    writeJson(toEnvelope(report, deps.build), (t) => deps.stdout.write(t));
    deps.stdout.write("\n");
  } else {
    const text = renderText(report, createStyle(outColor, { cwd: deps.cwd, home: deps.env.HOME }));
    if (text) deps.stdout.write(`${terminalSafe(text, outColor)}\n`);
  }
  {
    const errs = renderErrors(report, createStyle(errColor, { cwd: deps.cwd, home: deps.env.HOME }));
    if (errs) deps.stderr.write(`${terminalSafe(errs, errColor)}\n`);
  }
  return exitCode(report.exit);
}

/** Walks command words (the leading non-flag tokens) down the registry tree. */
function resolveCommand(root: OpsCommand, argv: string[]): { cmd: OpsCommand; path: string; rest: string[] } {
  let cmd = root;
  const words: string[] = [];
  let i = 0;
  while (cmd.kind === "group" && i < argv.length && !(argv[i] as string).startsWith("-")) {
    const word = argv[i] as string;
    const next = cmd.subCommands[word];
    if (!next) throw usageError(unknownCommand(cmd, word), words.length ? `Run '${root.name} ${words.join(" ")} --help'` : `Run '${root.name} --help'`);
    cmd = next;
    words.push(word);
    i++;
  }
  return { cmd, path: words.join(" "), rest: argv.slice(i) };
}

function unknownCommand(group: OpsCommand, word: string): string {
  const names = group.kind === "group" ? Object.keys(group.subCommands) : [];
  const hint = closest(word, names);
  return `unknown command '${printable(word)}'${hint ? ` (did you mean '${hint}'?)` : ""}; commands: ${names.join(", ")}`;
}

/**
 * Text for people never carries raw control characters from input (an environment name
 * holding an escape sequence is echoed in headers): they become "?". Only our own colour
 * codes survive, and only when colour is on.
 */
function terminalSafe(text: string, color: boolean): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must not reach a terminal
  return text.replace(/\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f]/g, (m) => (color && m.length > 1 ? m : "?"));
}
