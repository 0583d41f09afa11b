import type { Report } from "../../core/report.ts";
import type { ShowConfigData } from "../../core/show-config.ts";
import type { Style } from "../style.ts";
import { table } from "../table.ts";

export function renderShowConfig(report: Report, s: Style): string {
  const d = report.result as ShowConfigData;
  const out = [
    s.bold(`Configuration${d.environment ? ` for environment ${d.environment}` : ""}`),
    `  repository config: ${d.files.repository ? s.path(d.files.repository) : "(none found)"}`,
    `  user config:       ${d.files.user ? s.path(d.files.user) : "(none found)"}`,
    `  digest:            ${d.digest}`,
    ...(d.notGiven?.length ? [`  not given:         ${d.notGiven.join(", ")} (not needed to show the configuration)`] : []),
    "",
  ];
  out.push(
    table(
      ["KEY", "VALUE", "SOURCE", "SHADOWED"],
      d.keys.map((k) => [k.key, s.path(show(k.value)), s.path(k.source), s.path(k.shadowed.map((x) => `${show(x.value)} (${x.source})`).join("; ")) || "-"]),
    ),
  );
  return out.join("\n");
}

function show(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}
