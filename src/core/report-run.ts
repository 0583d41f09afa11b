import { resolve } from "node:path";
import type { Flags, ReportCommand } from "./command.ts";
import { createContext, loadConfigFor } from "./context.ts";
import type { Deps } from "./deps.ts";
import { isOpsError, usageError } from "./errors.ts";
import type { Scope } from "./plan.ts";
import { problemsToErrors, type Report } from "./report.ts";
import { showConfigReport } from "./show-config.ts";

/**
 * Runs a read-only report command: config → context → run → the result rendered in
 * every format it offers. Exit 10 when it has findings, 0 when not; failures come out
 * in the requested format like every other command's.
 */
export async function runReport(cmd: ReportCommand, inv: { deps: Deps; flags: Flags }): Promise<Report> {
  const { deps, flags } = inv;
  let scope: Scope | null = null;
  const base = { command: cmd.name, mode: "info" as const, plan: null, errors: [] };
  try {
    const loaded = await loadConfigFor(cmd, deps, flags, String(flags.environment));
    scope = loaded.scope;
    if (flags["show-config"] === true) return showConfigReport(cmd.name, loaded.resolved, scope);
    const out = typeof flags.out === "string" ? resolve(deps.cwd, flags.out) : undefined;
    if (out !== undefined && flags.out === "") throw usageError([{ message: "--out needs a file name", source: { kind: "flag", name: "--out" } }]);
    // The context stays in the "plan" phase: every client it hands out refuses mutations.
    const ctx = await createContext(cmd, deps, flags, loaded.resolved, scope);
    const outcome = await cmd.run(ctx);
    const documents = Object.fromEntries(Object.entries(outcome.render).map(([format, render]) => [format, render(outcome.result)]));
    return {
      ...base,
      scope,
      result: outcome.result,
      exit: outcome.findings > 0 ? "changes" : "ok",
      view: "document",
      documents,
      ...(out ? { outFile: out } : {}),
    };
  } catch (e) {
    if (!isOpsError(e)) throw e;
    return { ...base, scope, result: null, exit: e.exit, errors: problemsToErrors(e.exit, e.problems), view: "error", ...(e.hint ? { hint: e.hint } : {}) };
  }
}
