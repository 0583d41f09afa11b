import { writeFileSync } from "node:fs";
import { activateConfigFor } from "../config/model.ts";
import type { CommandMode, Flags, GroupCommand, OpsCommand, PlannableCommand } from "../core/command.ts";
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
import { OUTPUT_FLAGS, type PositionalSpec } from "./flags.ts";
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
    const mode = cmd.kind === "plannable" ? modeOf(cmd, beforeDashDash) : undefined;
    if (mode) {
      // A mode replaces the pipeline: only its flag and the output flags apply.
      const parsed = parseArgv(rest, [mode.flag, ...OUTPUT_FLAGS], [], path, program);
      report = await mode.run({ deps, flags: parsed.flags, positionals: [], path, root });
    } else {
      const positionals: PositionalSpec[] = "positionals" in cmd ? (cmd.positionals ?? []) : [];
      const parsed = parseArgv(rest, cmd.flags, positionals, path, program);
      const flags: Flags = cmd.kind === "plannable" && cmd.dryRunOnly ? { ...parsed.flags, "dry-run": true } : parsed.flags;
      if (cmd.kind === "plannable") {
        const { runPlannable } = await import("../core/pipeline.ts");
        const args = Object.fromEntries(
          positionals.flatMap((p, i) => (parsed.positionals[i] === undefined ? [] : [[p.name, parsed.positionals[i] as string]])),
        );
        report = await runPlannable(cmd, { deps, flags, path, args });
      } else if (cmd.kind === "report") {
        const { runReport } = await import("../core/report-run.ts");
        report = await runReport(cmd, { deps, flags });
      } else {
        report = await cmd.run({ deps, flags, positionals: parsed.positionals, path, root });
      }
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

  const format = formatOf(argv);
  let saved = false;
  if (report.outFile) {
    // A report saved with --out: the file gets what stdout would have carried, uncoloured.
    const body = json ? `${JSON.stringify(toEnvelope(report, deps.build), null, 2)}\n` : (report.documents?.[format] ?? report.documents?.text ?? "");
    const failed = saveOutput(report.outFile, deps.redactor.scrub(body));
    if (failed) report = { ...report, exit: "usage", errors: [{ code: "usage", message: failed, source: "flag --out" }], view: "error", documents: undefined };
    else {
      saved = true;
      if (!argv.includes("--quiet")) deps.stderr.write(`${terminalSafe(`wrote ${report.outFile}`, false)}\n`);
    }
  }
  if (saved) {
    // The result is in the file; stdout stays empty.
  } else if (json) {
    // Streamed: a 50k-action plan is never held as one string.
    writeJson(toEnvelope(report, deps.build), (t) => deps.stdout.write(t));
    deps.stdout.write("\n");
  } else if (report.documents) {
    const doc = report.documents[format] ?? report.documents.text ?? "";
    // CSV is data, not terminal text: it is written as is (the scrubber still runs).
    deps.stdout.write(format === "csv" ? doc : `${terminalSafe(doc.replace(/\n$/, ""), false)}\n`);
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

function formatOf(argv: string[]): string {
  const i = argv.lastIndexOf("--format");
  const eq = argv.findLast((a) => a.startsWith("--format="));
  return (i >= 0 ? argv[i + 1] : eq?.slice("--format=".length)) ?? "text";
}

/** Writes a report file (0600: reviews name every user and key); a message when the path is unusable. */
function saveOutput(path: string, body: string): string | undefined {
  try {
    writeFileSync(path, body, { mode: 0o600 });
    return undefined;
  } catch (e) {
    return `cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`;
  }
}

/** The mode whose flag is given (`--verify FILE`, `--verify=FILE`), if any. */
function modeOf(cmd: PlannableCommand, args: string[]): CommandMode | undefined {
  return cmd.modes?.find((m) => args.some((a) => a === `--${m.flag.name}` || a.startsWith(`--${m.flag.name}=`)));
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
