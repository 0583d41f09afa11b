import type { Report } from "../../core/report.ts";
import type { Style } from "../style.ts";
import { table } from "../table.ts";

export function renderVersion(report: Report): string {
  const d = report.result as { version: string; commit: string; target: string; runtime: string; platform: string };
  return `opsctl ${d.version} (commit ${d.commit}, target ${d.target}, ${d.runtime}, ${d.platform})`;
}

export function renderExitCodes(report: Report, s: Style): string {
  const d = report.result as { exitCodes: { code: number; name: string; when: string }[] };
  return [
    s.bold("Exit codes (stable; never renumbered):"),
    table(
      ["CODE", "NAME", "WHEN"],
      d.exitCodes.map((r) => [String(r.code), r.name, r.when]),
    ),
  ].join("\n");
}
