import { awsErrorInfo } from "./errors.ts";
import { type CredentialReport, parseCredentialReport } from "./iam-report.ts";
import { type AwsClientOptions, awsClient } from "./options.ts";

export type { CredentialReport, ReportKey, ReportRow } from "./iam-report.ts";

export interface IamUser {
  name: string;
  id: string;
  arn: string;
  createDate: Date;
  /** ListUsers' PasswordLastUsed: absent when the password was never used (or there is none). */
  passwordLastUsed?: Date;
}

export interface IamAccessKey {
  id: string;
  userName: string;
  status: string;
  createDate: Date;
}

/** GetAccessKeyLastUsed: the live answer, never older than a few hours at AWS, unlike the report. */
export interface KeyLastUsed {
  userName: string;
  lastUsed?: Date;
  service?: string;
  region?: string;
}

export interface IamPort {
  /**
   * GenerateCredentialReport, polled until COMPLETE (AWS reuses a report younger than
   * 4 hours, so its generation time is returned with it), then GetCredentialReport.
   */
  credentialReport(o: { timeoutMs: number; signal?: AbortSignal }): Promise<CredentialReport>;
  listUsers(): Promise<IamUser[]>;
  /** undefined when the user no longer exists. */
  listAccessKeys(userName: string): Promise<IamAccessKey[] | undefined>;
  /** undefined when the key no longer exists. */
  accessKeyLastUsed(accessKeyId: string): Promise<KeyLastUsed | undefined>;
  listMfaDevices(userName: string): Promise<{ serial: string; enableDate?: Date }[]>;
  listAttachedUserPolicies(userName: string): Promise<{ name: string; arn: string }[]>;
  listUserPolicies(userName: string): Promise<string[]>;
  listGroupsForUser(userName: string): Promise<string[]>;
  /** The console password, if the user has one. */
  loginProfile(userName: string): Promise<{ createDate: Date } | undefined>;
  listUserTags(userName: string): Promise<Record<string, string>>;
  updateAccessKey(userName: string, accessKeyId: string, status: "Active" | "Inactive"): Promise<"updated" | "not-found">;
  deleteAccessKey(userName: string, accessKeyId: string): Promise<"deleted" | "not-found">;
  deleteLoginProfile(userName: string): Promise<"deleted" | "not-found">;
  tagUser(userName: string, tags: Record<string, string>): Promise<void>;
}

const NOT_FOUND = "NoSuchEntity";

export async function createIam(opts: AwsClientOptions): Promise<IamPort> {
  const sdk = await import("@aws-sdk/client-iam");
  // IAM is a global service: its endpoint lives in us-east-1 whatever the scope's region.
  const client = awsClient(sdk.IAMClient, "iam", { ...opts, region: opts.region || "us-east-1" });

  const orUndefined = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      if (awsErrorInfo(e).code === NOT_FOUND) return undefined;
      throw e;
    }
  };
  const gone = async <T extends string>(f: () => Promise<unknown>, ok: T): Promise<T | "not-found"> =>
    (await orUndefined(async () => {
      await f();
      return ok;
    })) ?? "not-found";
  const all = async <P, T>(pages: AsyncIterable<P>, pick: (p: P) => T[] | undefined): Promise<T[]> => {
    const out: T[] = [];
    for await (const page of pages) out.push(...(pick(page) ?? []));
    return out;
  };
  const cfg = { client, pageSize: 100 };

  return {
    async credentialReport({ timeoutMs, signal }) {
      const deadline = Date.now() + timeoutMs;
      for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
        const r = await client.send(new sdk.GenerateCredentialReportCommand({}));
        if (r.State === "COMPLETE") break;
        if (Date.now() + delay > deadline) {
          throw Object.assign(new Error(`the IAM credential report was not ready within ${Math.round(timeoutMs / 1000)} s (state ${r.State})`), {
            name: "ReportInProgress",
          });
        }
        await sleep(delay, signal);
      }
      const r = await client.send(new sdk.GetCredentialReportCommand({}));
      const content = typeof r.Content === "string" ? r.Content : new TextDecoder().decode(r.Content ?? new Uint8Array());
      return parseCredentialReport(content, r.GeneratedTime instanceof Date ? r.GeneratedTime : new Date(r.GeneratedTime ?? 0));
    },

    async listUsers() {
      const users = await all(sdk.paginateListUsers(cfg, {}), (p) => p.Users);
      return users.map((u) => ({
        name: u.UserName ?? "",
        id: u.UserId ?? "",
        arn: u.Arn ?? "",
        createDate: toDate(u.CreateDate),
        ...(u.PasswordLastUsed ? { passwordLastUsed: toDate(u.PasswordLastUsed) } : {}),
      }));
    },

    listAccessKeys: (userName) =>
      orUndefined(async () => {
        const keys = await all(sdk.paginateListAccessKeys(cfg, { UserName: userName }), (p) => p.AccessKeyMetadata);
        return keys.map((k) => ({
          id: k.AccessKeyId ?? "",
          userName: k.UserName ?? userName,
          status: String(k.Status ?? ""),
          createDate: toDate(k.CreateDate),
        }));
      }),

    accessKeyLastUsed: (accessKeyId) =>
      orUndefined(async () => {
        const r = await client.send(new sdk.GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
        const u = r.AccessKeyLastUsed;
        // AWS answers "N/A" for the service and region of a key that was never used.
        const known = (s?: string) => (s && s !== "N/A" ? s : undefined);
        return {
          userName: r.UserName ?? "",
          ...(u?.LastUsedDate ? { lastUsed: toDate(u.LastUsedDate) } : {}),
          ...(known(u?.ServiceName) ? { service: u?.ServiceName } : {}),
          ...(known(u?.Region) ? { region: u?.Region } : {}),
        };
      }),

    async listMfaDevices(userName) {
      const d = await all(sdk.paginateListMFADevices(cfg, { UserName: userName }), (p) => p.MFADevices);
      return d.map((m) => ({ serial: m.SerialNumber ?? "", ...(m.EnableDate ? { enableDate: toDate(m.EnableDate) } : {}) }));
    },
    async listAttachedUserPolicies(userName) {
      const p = await all(sdk.paginateListAttachedUserPolicies(cfg, { UserName: userName }), (x) => x.AttachedPolicies);
      return p.map((x) => ({ name: x.PolicyName ?? "", arn: x.PolicyArn ?? "" }));
    },
    listUserPolicies: (userName) => all(sdk.paginateListUserPolicies(cfg, { UserName: userName }), (p) => p.PolicyNames),
    async listGroupsForUser(userName) {
      const g = await all(sdk.paginateListGroupsForUser(cfg, { UserName: userName }), (p) => p.Groups);
      return g.map((x) => x.GroupName ?? "");
    },
    loginProfile: (userName) =>
      orUndefined(async () => {
        const r = await client.send(new sdk.GetLoginProfileCommand({ UserName: userName }));
        return { createDate: toDate(r.LoginProfile?.CreateDate) };
      }),
    async listUserTags(userName) {
      const t = await all(sdk.paginateListUserTags(cfg, { UserName: userName }), (p) => p.Tags);
      return Object.fromEntries(t.map((x) => [x.Key ?? "", x.Value ?? ""]));
    },

    updateAccessKey: (userName, accessKeyId, status) =>
      gone(() => client.send(new sdk.UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status })), "updated"),
    deleteAccessKey: (userName, accessKeyId) =>
      gone(() => client.send(new sdk.DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId })), "deleted"),
    deleteLoginProfile: (userName) => gone(() => client.send(new sdk.DeleteLoginProfileCommand({ UserName: userName })), "deleted"),
    async tagUser(userName, tags) {
      await client.send(new sdk.TagUserCommand({ UserName: userName, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    },
  };
}

function toDate(d: Date | string | undefined): Date {
  return d instanceof Date ? d : new Date(d ?? 0);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
