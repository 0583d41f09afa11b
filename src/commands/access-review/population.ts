import { mapLimit } from "../../core/concurrency.ts";
import type { CredentialReport, IamAccessKey, IamPort, ReportKey } from "../../providers/aws/iam.ts";

/** One access key as the review saw it; times are ISO strings so the population is plain data. */
export interface PopKey {
  id: string;
  status: string;
  created: string;
  /** Live GetAccessKeyLastUsed: the authority. Absent: never used. */
  lastUsed?: string;
  lastUsedService?: string;
  lastUsedRegion?: string;
  /** What the credential report said, kept only when it disagrees with the live answer. */
  report?: { lastUsed: string | null };
}

export interface PopUser {
  name: string;
  id: string;
  arn: string;
  created: string;
  /** The console password (login profile), if the user has one. */
  password?: { created: string; lastUsed?: string };
  mfaDevices: string[];
  groups: string[];
  managedPolicies: string[];
  inlinePolicies: string[];
  tags: Record<string, string>;
  keys: PopKey[];
  /** False for a user created after the credential report was generated. */
  inReport: boolean;
}

export interface Population {
  account: string;
  /** When discovery started: anything used after this was used after the review. */
  asOf: string;
  report: { generatedAt: string; root?: { passwordEnabled: boolean; mfaActive: boolean; activeKeys: number } };
  users: PopUser[];
}

const USER_CONCURRENCY = 4;

/**
 * The population of one account: the credential report for what only it has (root,
 * password last use), then every user read live, and each key's last use confirmed with
 * GetAccessKeyLastUsed so a report that is hours old cannot call a key unused that was
 * used since. Users and keys are sorted so the same account gives the same data.
 */
export async function gatherPopulation(iam: IamPort, o: { account: string; asOf: Date; reportTimeoutMs: number; signal?: AbortSignal }): Promise<Population> {
  const report = await iam.credentialReport({ timeoutMs: o.reportTimeoutMs, ...(o.signal ? { signal: o.signal } : {}) });
  const byUser = new Map(report.rows.map((r) => [r.user, r]));
  const users = (await iam.listUsers()).sort((a, b) => a.name.localeCompare(b.name));
  const out = await mapLimit(users, USER_CONCURRENCY, async (u): Promise<PopUser> => {
    const row = byUser.get(u.name);
    const [keys, mfa, managed, inline, groups, login, tags] = await Promise.all([
      iam.listAccessKeys(u.name),
      iam.listMfaDevices(u.name),
      iam.listAttachedUserPolicies(u.name),
      iam.listUserPolicies(u.name),
      iam.listGroupsForUser(u.name),
      iam.loginProfile(u.name),
      iam.listUserTags(u.name),
    ]);
    const popKeys: PopKey[] = [];
    for (const k of (keys ?? []).sort((a, b) => a.id.localeCompare(b.id))) popKeys.push(await confirmKey(iam, k, row?.keys ?? []));
    const passwordLastUsed = latest(u.passwordLastUsed, row?.passwordLastUsed);
    return {
      name: u.name,
      id: u.id,
      arn: u.arn,
      created: u.createDate.toISOString(),
      ...(login ? { password: { created: login.createDate.toISOString(), ...(passwordLastUsed ? { lastUsed: passwordLastUsed.toISOString() } : {}) } } : {}),
      mfaDevices: mfa.map((d) => d.serial).sort(),
      groups: [...groups].sort(),
      managedPolicies: managed.map((p) => p.arn).sort(),
      inlinePolicies: [...inline].sort(),
      tags,
      keys: popKeys,
      inReport: Boolean(row),
    };
  });
  return { account: o.account, asOf: o.asOf.toISOString(), report: reportSummary(report), users: out };
}

async function confirmKey(iam: IamPort, k: IamAccessKey, slots: ReportKey[]): Promise<PopKey> {
  const live = await iam.accessKeyLastUsed(k.id);
  // The report names keys by slot; a slot is this key when it was rotated (created) in the same second.
  const slot = slots.find((s) => s.lastRotated && Math.abs(s.lastRotated.getTime() - k.createDate.getTime()) < 1000);
  const lastUsed = live?.lastUsed?.toISOString();
  const reported = slot?.lastUsed?.toISOString() ?? null;
  return {
    id: k.id,
    status: k.status,
    created: k.createDate.toISOString(),
    ...(lastUsed ? { lastUsed } : {}),
    ...(live?.service ? { lastUsedService: live.service } : {}),
    ...(live?.region ? { lastUsedRegion: live.region } : {}),
    ...(slot && reported?.slice(0, 19) !== lastUsed?.slice(0, 19) ? { report: { lastUsed: reported } } : {}),
  };
}

function reportSummary(r: CredentialReport): Population["report"] {
  return {
    generatedAt: r.generatedAt.toISOString(),
    ...(r.root
      ? { root: { passwordEnabled: r.root.passwordEnabled, mfaActive: r.root.mfaActive, activeKeys: r.root.keys.filter((k) => k.active).length } }
      : {}),
  };
}

function latest(a?: Date, b?: Date): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}
