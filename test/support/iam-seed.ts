import { writeFileSync } from "node:fs";
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { Moto } from "./moto.ts";

export interface KeySeed {
  /** Days since the key was created (moto's clock is moved back while it is made). */
  ageDays: number;
  /** Days since it was last used; absent: never used. */
  usedDaysAgo?: number;
  inactive?: boolean;
}

export interface UserSeed {
  name: string;
  ageDays?: number;
  keys?: KeySeed[];
  password?: boolean;
  mfa?: boolean;
  tags?: Record<string, string>;
  groups?: string[];
  managedPolicies?: string[];
  inlinePolicies?: string[];
}

const ALLOW_ALL = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });

/**
 * Seeds IAM users in the real moto server. Key ages and last use can only be set by
 * moving moto's clock (libfaketime, MOTO_CLOCK_FILE): a key is created while the clock
 * says "N days ago", and "used" by signing one request with it at another moment —
 * moto records every request signed with a known key as that key's last use.
 */
export class IamSeeder {
  readonly iam: IAMClient;
  private readonly groups = new Set<string>();
  private readonly policies = new Map<string, string>();

  constructor(private readonly moto: Moto) {
    this.iam = new IAMClient({ endpoint: moto.url, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  }

  /** Returns the key ids per user, in the order given. */
  async seed(users: UserSeed[]): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const u of users) out[u.name] = await this.user(u);
    return out;
  }

  async user(u: UserSeed): Promise<string[]> {
    await this.at(u.ageDays ?? 400, () =>
      this.iam.send(new CreateUserCommand({ UserName: u.name, Tags: Object.entries(u.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) })),
    );
    if (u.password) await this.iam.send(new CreateLoginProfileCommand({ UserName: u.name, Password: "Seeded-Passw0rd!" }));
    if (u.mfa) {
      const d = await this.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: `${u.name}-mfa` }));
      const serial = d.VirtualMFADevice?.SerialNumber as string;
      await this.iam.send(new EnableMFADeviceCommand({ UserName: u.name, SerialNumber: serial, AuthenticationCode1: "123456", AuthenticationCode2: "654321" }));
    }
    for (const g of u.groups ?? []) {
      if (!this.groups.has(g)) {
        await this.iam.send(new CreateGroupCommand({ GroupName: g }));
        this.groups.add(g);
      }
      await this.iam.send(new AddUserToGroupCommand({ GroupName: g, UserName: u.name }));
    }
    for (const p of u.managedPolicies ?? []) {
      let arn = this.policies.get(p);
      if (!arn) {
        arn = (await this.iam.send(new CreatePolicyCommand({ PolicyName: p, PolicyDocument: ALLOW_ALL }))).Policy?.Arn as string;
        this.policies.set(p, arn);
      }
      await this.iam.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: arn }));
    }
    for (const p of u.inlinePolicies ?? []) await this.iam.send(new PutUserPolicyCommand({ UserName: u.name, PolicyName: p, PolicyDocument: ALLOW_ALL }));
    const ids: string[] = [];
    for (const k of u.keys ?? []) ids.push(await this.key(u.name, k));
    return ids;
  }

  async key(userName: string, k: KeySeed): Promise<string> {
    const r = await this.at(k.ageDays, () => this.iam.send(new CreateAccessKeyCommand({ UserName: userName })));
    const id = r.AccessKey?.AccessKeyId as string;
    const secret = r.AccessKey?.SecretAccessKey as string;
    if (k.usedDaysAgo !== undefined) await this.at(k.usedDaysAgo, () => this.use(id, secret));
    if (k.inactive) {
      const { UpdateAccessKeyCommand } = await import("@aws-sdk/client-iam");
      await this.iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: id, Status: "Inactive" }));
    }
    this.secrets.set(id, secret);
    return id;
  }

  readonly secrets = new Map<string, string>();

  /** One request signed with the key, now (or inside at()): moto records it as the key's last use. */
  async use(accessKeyId: string, secretAccessKey = this.secrets.get(accessKeyId) as string): Promise<void> {
    const sts = new STSClient({ endpoint: this.moto.url, region: "us-east-1", credentials: { accessKeyId, secretAccessKey } });
    await sts.send(new GetCallerIdentityCommand({}));
  }

  /** Runs fn while moto's clock reads `daysAgo` days in the past. */
  async at<T>(daysAgo: number, fn: () => Promise<T>): Promise<T> {
    writeFileSync(this.moto.p.MOTO_CLOCK_FILE, `-${daysAgo}d\n`);
    try {
      return await fn();
    } finally {
      writeFileSync(this.moto.p.MOTO_CLOCK_FILE, "+0\n");
    }
  }

  /** Every user and key with its status, for "nothing changed" assertions. */
  async state(): Promise<string> {
    const users = (await this.iam.send(new ListUsersCommand({}))).Users ?? [];
    const lines: string[] = [];
    for (const u of users) {
      const keys = (await this.iam.send(new ListAccessKeysCommand({ UserName: u.UserName }))).AccessKeyMetadata ?? [];
      lines.push(
        `${u.UserName}: ${keys
          .map((k) => `${k.AccessKeyId}=${k.Status}`)
          .sort()
          .join(" ")}`,
      );
    }
    return lines.sort().join("\n");
  }
}
