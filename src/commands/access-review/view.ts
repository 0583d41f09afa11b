import { table } from "../../views/table.ts";
import { decisionRows, rowsToCsv } from "./decisions.ts";
import type { AccessReviewResult } from "./index.ts";

/** The review for people: header facts an auditor checks first, then findings, exclusions, the population. */
export function renderReviewText(r: AccessReviewResult): string {
  const p = r.population;
  const keys = p.users.flatMap((u) => u.keys);
  const passwords = p.users.filter((u) => u.password).length;
  const reportAgeH = (Date.parse(p.asOf) - Date.parse(p.report.generatedAt)) / 3_600_000;
  const out = [
    `access-review — account ${p.account} — environment=${r.environment}`,
    `as of ${p.asOf}  credential report generated ${p.report.generatedAt} (${reportAgeH.toFixed(1)} h earlier; last use confirmed live per key)  opsctl ${r.version}`,
    `command: ${r.commandLine}`,
    `population: ${p.users.length} users, ${keys.length} access keys (${keys.filter((k) => k.status === "Active").length} active), ${passwords} console passwords`,
    `digest ${r.digest}  population ${r.populationDigest}`,
    `criteria: stale after ${r.criteria.staleAfter}, new-key grace ${r.criteria.newKeyGrace}, rotate after ${r.criteria.rotateAfter}`,
    "",
  ];
  if (!r.findings.length) out.push("Findings: none");
  else {
    const rows = r.findings.flatMap((f) =>
      f.reasons.map((x, i) => [i === 0 ? (f.accessKeyId ?? f.credential) : "", i === 0 ? f.user : "", `${x.code}: ${x.summary}`]),
    );
    out.push(`Findings (${r.findings.length}):`, table(["CREDENTIAL", "USER", "REASON"], rows));
  }
  if (r.exclusions.length) {
    out.push(
      "",
      `Exclusions (${r.exclusions.length}):`,
      table(
        ["USER", "RULE", "SOURCE"],
        r.exclusions.map((e) => [e.user, e.rule, e.source]),
      ),
    );
  }
  if (p.report.root && (p.report.root.activeKeys > 0 || !p.report.root.mfaActive)) {
    out.push("", `Root account: ${p.report.root.activeKeys} active access key(s), MFA ${p.report.root.mfaActive ? "on" : "OFF"} (from the credential report)`);
  }
  const rows = decisionRows(p, r).map((x) => [
    x.user,
    x.credential === "access-key" ? x.accessKeyId : x.credential,
    x.status || "-",
    x.created.slice(0, 10),
    x.lastUsed ? `${x.lastUsed.slice(0, 10)}${x.lastUsedService ? ` ${x.lastUsedService}` : ""}` : "never",
    x.mfa,
    [x.groups, x.policies].filter(Boolean).join(" ") || "-",
  ]);
  out.push("", `Population (${p.users.length} users):`, table(["USER", "CREDENTIAL", "STATUS", "CREATED", "LAST USED", "MFA", "GROUPS/POLICIES"], rows));
  return `${out.join("\n")}\n`;
}

export function renderReviewCsv(r: AccessReviewResult): string {
  return rowsToCsv(decisionRows(r.population, r));
}
