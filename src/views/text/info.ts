import type { Report } from "../../core/report.ts";
import type { Style } from "../style.ts";
import { table } from "../table.ts";

export function renderVersion(report: Report): string {
  const d = report.result as { version: string; commit: string; target: string; runtime: string; platform: string };
  return `opsctl ${d.version} (commit ${d.commit}, target ${d.target}, ${d.runtime}, ${d.platform})`;
}

export function renderExitCodes(report: Report, s: Style): string {
  const d = report.result as {
    exitCodes: { code: number; name: string; when: string }[];
    acrossScopes?: { code: number | string; name: string; when: string }[];
  };
  return [
    s.bold("Exit codes (stable; never renumbered):"),
    table(
      ["CODE", "NAME", "WHEN"],
      d.exitCodes.map((r) => [String(r.code), r.name, r.when]),
    ),
    ...(d.acrossScopes
      ? [
          "",
          s.bold("Across scopes (--targets/--target/--target-tag: one code for the whole run):"),
          table(
            ["CODE", "NAME", "WHEN"],
            d.acrossScopes.map((r) => [String(r.code), r.name, r.when]),
          ),
        ]
      : []),
  ].join("\n");
}

export function renderLockList(report: Report, s: Style): string {
  const d = report.result as {
    backend: string;
    locks: { id: string; pid: number; host: string; user: string; since: string; planDigest: string; stale?: boolean }[];
  };
  if (!d.locks.length) return `No locks held (${d.backend} backend).`;
  return [
    s.bold(`Locks (${d.backend} backend):`),
    table(
      ["ID", "HOLDER", "SINCE", "PLAN", "STATE"],
      d.locks.map((l) => [l.id, `pid ${l.pid} ${l.user}@${l.host}`, l.since, l.planDigest.slice(0, 19), l.stale ? s.yellow("stale (holder gone)") : "held"]),
    ),
  ].join("\n");
}

export function renderHistory(report: Report, s: Style): string {
  const d = report.result as {
    stateDir: string;
    records: {
      time: string;
      user: string;
      host: string;
      command: string;
      scope: { environment: string; region?: string };
      planDigest: string;
      exit: { code: number; name: string };
      summary: { planned: number; applied: number; failed: number };
    }[];
  };
  if (!d.records.length) return `No applies recorded yet (${s.path(d.stateDir)}).`;
  return table(
    ["TIME", "USER", "COMMAND", "SCOPE", "PLAN", "APPLIED", "EXIT"],
    d.records.map((r) => [
      r.time,
      `${r.user}@${r.host}`,
      r.command,
      [r.scope.environment, r.scope.region].filter(Boolean).join("/"),
      r.planDigest.slice(0, 19),
      `${r.summary.applied}/${r.summary.planned}${r.summary.failed ? ` (${r.summary.failed} failed)` : ""}`,
      `${r.exit.code} ${r.exit.name}`,
    ]),
  );
}
