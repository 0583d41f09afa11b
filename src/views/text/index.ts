import type { Report } from "../../core/report.ts";
import type { Style } from "../style.ts";
import { renderFleet } from "./fleet.ts";
import { renderExitCodes, renderHistory, renderLockList, renderVersion } from "./info.ts";
import { planFooter, renderPlan } from "./plan.ts";
import { renderResult } from "./result.ts";
import { renderShowConfig } from "./show-config.ts";

/** The text for stdout: the result only. Errors go to stderr through renderErrors. */
export function renderText(report: Report, s: Style): string {
  switch (report.view) {
    case "plan":
      return [renderPlan(report, s), planFooter(report)].filter(Boolean).join("\n\n");
    case "result":
      return [renderPlan(report, s), renderResult(report, s)].filter(Boolean).join("\n");
    case "show-config":
      return renderShowConfig(report, s);
    case "fleet":
      return renderFleet(report, s);
    case "version":
      return renderVersion(report);
    case "exit-codes":
      return renderExitCodes(report, s);
    case "lock-list":
      return renderLockList(report, s);
    case "lock-release":
      return `Released lock ${(report.result as { released: string }).released}.`;
    case "history":
      return renderHistory(report, s);
    case "text":
      // A command's own text: on the report (plannable commands) or as its result (report commands).
      return report.text ?? (report.result as { text?: string } | null)?.text ?? "";
    case "raw-json":
      return JSON.stringify(report.result, null, 2);
    default:
      return "";
  }
}

/** Problems for people, on stderr: each with where it came from, then what to do next. */
export function renderErrors(report: Report, s: Style): string {
  if (!report.errors.length) return "";
  const lines = report.errors.map((e) => s.path(`${s.red("error:")} ${e.message}${e.source && !e.message.includes(e.source) ? s.dim(` (${e.source})`) : ""}`));
  if (report.hint) lines.push(report.hint);
  return lines.join("\n");
}
