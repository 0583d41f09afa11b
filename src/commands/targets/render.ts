import type { Selection, Target } from "../../core/targets/model.ts";
import { table } from "../../views/table.ts";
import type { SyncChanges } from "./sync.ts";

export type ShownTarget = Target;

export interface ListResult {
  source: string;
  criteria: Omit<Selection["criteria"], "environment"> & { environment: string | null };
  targets: ShownTarget[];
  blocked: Selection["blocked"];
}

export interface SyncResult extends SyncChanges {
  file: string;
  dryRun: boolean;
  /** Whether the file's content differs (or it did not exist). */
  changed: boolean;
  written: boolean;
  organization: { accounts: number; active: number; ou?: string };
  blocked: string[];
}

export function renderList(r: ListResult): string {
  const c = r.criteria;
  const by = [
    c.environment ? `environment ${c.environment}` : "any environment",
    ...(c.names.length ? [`--target ${c.names.join(", ")}`] : []),
    ...Object.entries(c.tags).map(([k, v]) => `--target-tag ${k}=${v}`),
  ];
  const rows = r.targets.map((t) => [
    t.name,
    t.kind,
    t.kind === "aws" ? t.account : "-",
    t.kind === "aws" ? (t.regions === "all" ? "all (resolved at plan time)" : t.regions.join(", ")) : t.contexts.join(", "),
    t.mode,
    tagText(t.tags),
    t.environments?.join(", ") ?? "any",
  ]);
  const out = [
    `Targets from ${r.source} (${by.join("; ")})`,
    "",
    table(["NAME", "KIND", "ACCOUNT", "REGIONS / CONTEXTS", "MODE", "TAGS", "ENVIRONMENTS"], rows),
  ];
  if (r.blocked.length) {
    out.push(
      "",
      "Blocked (never targeted):",
      table(
        ["NAME", "ACCOUNT", "REASON"],
        r.blocked.map((b) => [b.name, b.account, b.reason]),
      ),
    );
  }
  const roles = r.targets.filter((t) => t.kind === "aws" && t.roles.length);
  if (roles.length) {
    out.push(
      "",
      "Role chains:",
      ...roles.map(
        (t) => `  ${t.name}: ${t.kind === "aws" ? t.roles.join(" -> ") : ""}${t.kind === "aws" && t.externalId ? ` (external id ${t.externalId})` : ""}`,
      ),
    );
  }
  out.push("", `${count(r.targets.length, "target")} selected${r.blocked.length ? `, ${r.blocked.length} blocked` : ""}.`);
  return out.join("\n");
}

export function renderSync(r: SyncResult): string {
  const org = `${count(r.organization.accounts, "account")} in the organization${r.organization.ou ? ` under ${r.organization.ou}` : ""}, ${r.organization.active} active`;
  const out = [`Targets file ${r.file}: ${org}`];
  const section = (title: string, rows: string[][], header: string[]) => {
    if (rows.length) out.push("", title, table(header, rows));
  };
  section(
    "Added:",
    r.added.map((a) => [a.name, a.account]),
    ["NAME", "ACCOUNT"],
  );
  section(
    "Removed:",
    r.removed.map((a) => [a.name, a.account, a.reason]),
    ["NAME", "ACCOUNT", "WHY"],
  );
  section(
    "Updated:",
    r.updated.map((a) => [a.name, a.account, a.fields.join(", ")]),
    ["NAME", "ACCOUNT", "FIELDS"],
  );
  section(
    "Kept as written (not organization accounts):",
    r.kept.map((k) => [k.name, k.kind]),
    ["NAME", "KIND"],
  );
  section(
    "Not written (not ACTIVE):",
    r.skipped.map((s) => [s.name, s.account, s.reason]),
    ["NAME", "ACCOUNT", "WHY"],
  );
  if (r.blocked.length) out.push("", `Blocked accounts kept: ${r.blocked.join(", ")}`);
  out.push(
    "",
    `${r.added.length} added, ${r.removed.length} removed, ${r.updated.length} updated, ${r.unchanged.length} unchanged, ${r.kept.length} kept.`,
    !r.changed ? "The file is up to date; nothing written." : r.dryRun ? "Dry run: the file would change; nothing written." : `Wrote ${r.file}.`,
  );
  return out.join("\n");
}

function tagText(tags: Record<string, string>): string {
  const e = Object.entries(tags);
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(", ") : "-";
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
