import { canonicalJson, sha256 } from "../../core/canonical.ts";
import type { PopKey, PopUser, Population } from "./population.ts";

export interface Criteria {
  now: Date;
  staleAfter: { ms: number; text: string };
  newKeyGrace: { ms: number; text: string };
  rotateAfter: { ms: number; text: string };
  /** Users exempt by name, and where that list was configured. */
  exemptUsers: { names: string[]; source: string };
  /** KEY=VALUE tags that exempt a user, and where that list was configured. */
  exemptTags: { tags: [string, string][]; source: string };
}

export type FindingCode = "key-stale" | "key-never-used" | "key-rotation" | "two-active-keys" | "console-no-mfa" | "password-stale" | "user-inactive";

export interface Reason {
  code: FindingCode;
  summary: string;
  evidence: Record<string, unknown>;
}

/** One finding per key, per console password, or per user, with every reason that applies. */
export interface Finding {
  id: string;
  user: string;
  credential: "access-key" | "console-password" | "user";
  accessKeyId?: string;
  reasons: Reason[];
}

export interface Exclusion {
  user: string;
  /** What exempted the user, e.g. "tag opsctl:access-review=exempt". */
  rule: string;
  /** Where that rule was configured (file and key, env var or flag). */
  source: string;
}

export interface Review {
  findings: Finding[];
  exclusions: Exclusion[];
  /** Users and keys by identity: what access-revoke checks a decisions file against. */
  populationDigest: string;
  /** The whole population as seen (statuses, last use, MFA, policies): equal for an unchanged account. */
  digest: string;
}

const DAY = 86_400_000;

export function review(p: Population, c: Criteria): Review {
  const findings: Finding[] = [];
  const exclusions: Exclusion[] = [];
  for (const u of p.users) {
    const exempt = exemption(u, c);
    if (exempt) {
      exclusions.push(exempt);
      continue;
    }
    findings.push(...reviewUser(u, c));
  }
  return { findings, exclusions, populationDigest: populationDigest(p), digest: reviewDigest(p) };
}

function exemption(u: PopUser, c: Criteria): Exclusion | undefined {
  if (c.exemptUsers.names.includes(u.name)) return { user: u.name, rule: `user name ${u.name}`, source: c.exemptUsers.source };
  const tag = c.exemptTags.tags.find(([k, v]) => u.tags[k] === v);
  if (tag) return { user: u.name, rule: `tag ${tag[0]}=${tag[1]}`, source: c.exemptTags.source };
  return undefined;
}

function reviewUser(u: PopUser, c: Criteria): Finding[] {
  const out: Finding[] = [];
  const now = c.now.getTime();
  const age = (iso: string) => now - Date.parse(iso);
  const settled = (k: PopKey) => age(k.created) > c.newKeyGrace.ms;

  for (const k of u.keys) {
    if (k.status !== "Active" || !settled(k)) continue;
    const reasons: Reason[] = [];
    const created = { created: k.created, ageDays: days(age(k.created)) };
    if (k.lastUsed && age(k.lastUsed) > c.staleAfter.ms) {
      reasons.push({
        code: "key-stale",
        summary: `last used ${day(k.lastUsed)}${k.lastUsedService ? ` (${k.lastUsedService}${k.lastUsedRegion ? ` in ${k.lastUsedRegion}` : ""})` : ""}, ${days(age(k.lastUsed))} days ago > ${c.staleAfter.text}`,
        evidence: {
          lastUsed: k.lastUsed,
          lastUsedService: k.lastUsedService,
          lastUsedRegion: k.lastUsedRegion,
          daysUnused: days(age(k.lastUsed)),
          staleAfter: c.staleAfter.text,
          source: "GetAccessKeyLastUsed",
        },
      });
    } else if (!k.lastUsed) {
      reasons.push({
        code: "key-never-used",
        summary: `never used, created ${day(k.created)}, ${days(age(k.created))} days ago > grace ${c.newKeyGrace.text}`,
        evidence: { ...created, lastUsed: null, newKeyGrace: c.newKeyGrace.text, source: "GetAccessKeyLastUsed" },
      });
    }
    if (age(k.created) > c.rotateAfter.ms) {
      reasons.push({
        code: "key-rotation",
        summary: `created ${day(k.created)}, ${days(age(k.created))} days old > rotate after ${c.rotateAfter.text}`,
        evidence: { ...created, rotateAfter: c.rotateAfter.text },
      });
    }
    if (reasons.length) out.push({ id: `key:${k.id}`, user: u.name, credential: "access-key", accessKeyId: k.id, reasons });
  }

  if (u.password) {
    const reasons: Reason[] = [];
    if (u.mfaDevices.length === 0) {
      reasons.push({ code: "console-no-mfa", summary: "console password and no MFA device", evidence: { passwordCreated: u.password.created, mfaDevices: 0 } });
    }
    const lastUsed = u.password.lastUsed;
    if (lastUsed ? age(lastUsed) > c.staleAfter.ms : age(u.password.created) > c.newKeyGrace.ms) {
      reasons.push({
        code: "password-stale",
        summary: lastUsed
          ? `console password last used ${day(lastUsed)}, ${days(age(lastUsed))} days ago > ${c.staleAfter.text}`
          : `console password never used, set ${day(u.password.created)}, ${days(age(u.password.created))} days ago > grace ${c.newKeyGrace.text}`,
        evidence: { passwordCreated: u.password.created, passwordLastUsed: lastUsed ?? null, staleAfter: c.staleAfter.text },
      });
    }
    if (reasons.length) out.push({ id: `password:${u.name}`, user: u.name, credential: "console-password", reasons });
  }

  const reasons: Reason[] = [];
  const active = u.keys.filter((k) => k.status === "Active");
  // A second key younger than the grace is a rotation in progress, not a finding.
  if (active.length > 1 && active.every(settled)) {
    reasons.push({
      code: "two-active-keys",
      summary: `${active.length} active access keys: ${active.map((k) => k.id).join(", ")}`,
      evidence: { activeKeys: active.map((k) => k.id) },
    });
  }
  const used = u.keys.some((k) => k.lastUsed) || Boolean(u.password?.lastUsed);
  // A credential younger than the grace was just handed out: give it time to be used.
  const fresh = u.keys.some((k) => !settled(k)) || (u.password ? age(u.password.created) <= c.newKeyGrace.ms : false);
  if (!used && !fresh && age(u.created) > c.newKeyGrace.ms) {
    reasons.push({
      code: "user-inactive",
      summary: `no activity at all: no access key or console password ever used, user created ${day(u.created)}`,
      evidence: { created: u.created, keys: u.keys.length, password: Boolean(u.password) },
    });
  }
  if (reasons.length) out.push({ id: `user:${u.name}`, user: u.name, credential: "user", reasons });
  return out;
}

/**
 * Identity of the reviewed population: account, users and their credentials (key ids
 * and creation times, console passwords). Statuses and last use are left out on
 * purpose: a key disabled by access-revoke, or used since, is still the reviewed key;
 * that drift is judged per action, not by refusing the whole file.
 */
export function populationDigest(p: Pick<Population, "account" | "users">): string {
  return `sha256:${sha256(canonicalJson(identity(p)))}`;
}

export function identity(p: Pick<Population, "account" | "users">) {
  return {
    account: p.account,
    users: p.users.map((u) => ({
      name: u.name,
      keys: u.keys.map((k) => ({ id: k.id, created: k.created })),
      password: u.password ? u.password.created : null,
    })),
  };
}

/** Everything the review saw, without when it ran: the same account gives the same digest. */
export function reviewDigest(p: Population): string {
  const { asOf: _asOf, report, ...rest } = p;
  const { generatedAt: _generated, ...reportRest } = report;
  return `sha256:${sha256(canonicalJson({ ...rest, report: reportRest }))}`;
}

function days(ms: number): number {
  return Math.floor(ms / DAY);
}

function day(iso: string): string {
  return iso.slice(0, 10);
}
