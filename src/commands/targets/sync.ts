import type { TargetMode } from "../../core/targets/model.ts";
import type { OrgAccount } from "../../providers/aws/organizations.ts";

// `targets sync --from-organization`, the pure part: the organization's accounts and
// the existing file in, the new file and what changed out. Entries written from the
// organization carry the tag SYNC_TAG, which is how a later sync tells them from
// hand-written targets (kept as they are) and removes accounts that left.

export const SYNC_TAG = "opsctl:source";
export const SYNC_VALUE = "organization";
export const DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole";

/** A target entry as written to the file (the file's own shape, no `source`). */
export interface FileTarget {
  kind: "aws" | "kubernetes";
  name: string;
  account?: string;
  roles?: string[];
  externalId?: string;
  regions?: string[] | "all";
  contexts?: string[];
  kubeconfig?: string;
  tags?: Record<string, string>;
  mode?: TargetMode;
  environments?: string[];
}

export interface TargetsFile {
  targets: FileTarget[];
  blocked?: string[];
}

export interface SyncOptions {
  roleName: string;
  /** Regions for accounts new to the file (existing entries keep theirs). */
  regions: string[] | "all";
  /** With --ou: added to every account's tags as `ou`. */
  ou?: string;
  partition?: string;
}

export interface SyncChanges {
  added: { name: string; account: string }[];
  removed: { name: string; account: string; reason: string }[];
  updated: { name: string; account: string; fields: string[] }[];
  unchanged: { name: string; account: string }[];
  /** Hand-written and Kubernetes targets, kept as they are. */
  kept: { name: string; kind: string }[];
  /** Accounts of the organization not written (not ACTIVE). */
  skipped: { account: string; name: string; reason: string }[];
}

export function isSynced(t: FileTarget): boolean {
  return t.kind === "aws" && t.tags?.[SYNC_TAG] === SYNC_VALUE;
}

/** The file after a sync: existing order kept, new accounts appended (by account id). */
export function mergeSync(existing: TargetsFile | undefined, accounts: OrgAccount[], o: SyncOptions): { file: TargetsFile; changes: SyncChanges } {
  const changes: SyncChanges = { added: [], removed: [], updated: [], unchanged: [], kept: [], skipped: [] };
  const active = new Map<string, OrgAccount>();
  for (const a of accounts) {
    if (a.state === "ACTIVE") active.set(a.id, a);
    else changes.skipped.push({ account: a.id, name: a.name, reason: `state ${a.state}, not ACTIVE` });
  }
  const before = existing?.targets ?? [];
  // Names stay unique across hand-written and synced entries alike.
  const taken = new Set(before.filter((t) => !isSynced(t) || active.has(t.account ?? "")).map((t) => t.name));
  const out: FileTarget[] = [];
  // An account someone wrote an entry for by hand stays theirs: no second, synced entry for it.
  const mine = new Set(before.filter((t) => !isSynced(t) && t.kind === "aws" && t.account).map((t) => t.account as string));
  const done = new Set<string>(mine);
  for (const t of before) {
    if (!isSynced(t)) {
      out.push(t);
      changes.kept.push({ name: t.name, kind: t.kind });
      continue;
    }
    const account = t.account ?? "";
    const a = active.get(account);
    if (!a || done.has(account)) {
      changes.removed.push({
        name: t.name,
        account,
        reason: mine.has(account)
          ? "the account has a hand-written entry"
          : done.has(account)
            ? "a second entry for the same account"
            : accounts.some((x) => x.id === account)
              ? "no longer ACTIVE"
              : "no longer in the organization (or outside --ou)",
      });
      continue;
    }
    done.add(account);
    const next = entryFor(a, o, t);
    const fields = changedFields(t, next);
    out.push(next);
    if (fields.length) changes.updated.push({ name: next.name, account, fields });
    else changes.unchanged.push({ name: next.name, account });
  }
  for (const a of [...active.values()].sort((x, y) => x.id.localeCompare(y.id))) {
    if (done.has(a.id)) continue;
    const name = uniqueName(slug(a.name) || `account-${a.id}`, a.id, taken);
    taken.add(name);
    const next = entryFor(a, o, undefined, name);
    out.push(next);
    changes.added.push({ name, account: a.id });
  }
  return { file: { targets: out, ...(existing?.blocked?.length ? { blocked: existing.blocked } : {}) }, changes };
}

/** Sync-owned fields from the organization; hand-set ones (name, mode, regions, externalId, environments) kept. */
function entryFor(a: OrgAccount, o: SyncOptions, prev: FileTarget | undefined, name?: string): FileTarget {
  const tags: Record<string, string> = { ...a.tags, ...(o.ou ? { ou: o.ou } : {}), [SYNC_TAG]: SYNC_VALUE };
  return {
    kind: "aws",
    name: prev?.name ?? (name as string),
    account: a.id,
    roles: [`arn:${o.partition ?? "aws"}:iam::${a.id}:role/${o.roleName}`],
    ...(prev?.externalId ? { externalId: prev.externalId } : {}),
    regions: prev?.regions ?? o.regions,
    tags: sortKeys(tags),
    mode: prev?.mode ?? "write",
    ...(prev?.environments ? { environments: prev.environments } : {}),
  };
}

function changedFields(a: FileTarget, b: FileTarget): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof FileTarget>;
  return [...keys].filter((k) => JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null) && !(k === "mode" && (a.mode ?? "write") === b.mode)).sort();
}

/** An account name as a target name: lower case, [a-z0-9_.-], at most 64 characters. */
export function slug(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 64)
    .replace(/[-.]+$/, "");
}

function uniqueName(base: string, account: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  const withId = `${base.slice(0, 64 - account.length - 1)}-${account}`;
  return taken.has(withId) ? `account-${account}` : withId;
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
