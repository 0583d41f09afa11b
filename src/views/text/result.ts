import type { ExecutionResult, Report } from "../../core/report.ts";
import { summarize } from "../../core/report.ts";
import type { Style } from "../style.ts";
import { table } from "../table.ts";

export function renderResult(report: Report, s: Style): string {
  const result = report.result as ExecutionResult | null;
  if (!result) return "";
  const paint = (st: string) => (st === "applied" || st === "already-done" ? s.green(st) : st === "failed" ? s.red(st) : s.yellow(st));
  const rows = result.actions.map((a) => [
    paint(a.status),
    a.operation,
    a.resource,
    a.error
      ? `${a.error.class}: ${a.error.message}`
      : [a.detail, ...Object.entries(a.outputs ?? {}).map(([k, v]) => `${k}=${v}`)].filter(Boolean).join("; ") || "-",
  ]);
  const sum = summarize(report.plan, result);
  const out = ["", s.bold("Result:"), rows.length ? table(["STATUS", "OPERATION", "RESOURCE", "DETAIL"], rows) : "  nothing to apply"];
  const outputs = Object.entries(result.outputs ?? {});
  if (outputs.length) out.push("", s.bold("Outputs:"), table(["NAME", "VALUE"], outputs));
  out.push(
    "",
    `Applied ${sum.applied} of ${sum.planned}: ${sum.failed} failed, ${sum.notReached} not reached, ${sum.skipped} skipped.${result.interrupted ? " Interrupted: nothing new was started." : ""}`,
  );
  if (result.evidenceDigest) out.push(`Evidence digest: ${result.evidenceDigest} (the JSON result holds the evidence)`);
  return out.join("\n");
}
