import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { CreateVolumeCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { peers } from "./peers.ts";

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The role every target account has, which the operator assumes (unless a policy denies it). */
export const roleArn = (account: string, name = "opsctl") => `arn:aws:iam::${account}:role/${name}`;

const ALLOW_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

/**
 * Several AWS accounts on the moto server that enforces IAM (moto-auth). moto keys
 * resources by the account of the credentials, and `sts:AssumeRole` into
 * arn:aws:iam::<id>:role/… gives that account's view. Each account gets a role `opsctl`
 * (allowed everything), and the operator — a user in the default account — may assume
 * them, except those `denied` by its own policy: moto evaluates sts:AssumeRole against
 * the role ARN, so assuming a denied account's role is a real AccessDenied.
 */
export class FleetMoto {
  readonly url: string;
  private readonly clock: string;
  private readonly roleKeys = new Map<string, Keys>();

  constructor() {
    const p = peers();
    if (!p.MOTO_AUTH_URL) throw new Error("MOTO_AUTH_URL missing from the peers env: start moto-auth (scripts/peers.sh start)");
    if (!p.MOTO_AUTH_CLOCK_FILE) throw new Error("MOTO_AUTH_CLOCK_FILE missing from the peers env: restart moto-auth (scripts/peers.sh start)");
    this.url = p.MOTO_AUTH_URL;
    this.clock = p.MOTO_AUTH_CLOCK_FILE;
  }

  /**
   * Fresh state: the operator user and the accounts' roles. Returns the operator's keys.
   * `denied`: accounts whose role the operator may not assume; `noDelete`: accounts whose
   * role may do everything but ec2:DeleteVolume (a DryRun is refused there too).
   */
  async setup(accounts: string[], denied: string[] = [], noDelete: string[] = []): Promise<Keys> {
    this.roleKeys.clear();
    await fetch(`${this.url}/moto-api/reset`, { method: "POST" });
    await this.freeCalls(3 + 3 * accounts.length);
    const bootstrap = { accessKeyId: "bootstrap", secretAccessKey: "bootstrap" };
    const iam = new IAMClient({ endpoint: this.url, region: "us-east-1", credentials: bootstrap });
    await iam.send(new CreateUserCommand({ UserName: "operator" }));
    const statements: object[] = [{ Effect: "Allow", Action: "*", Resource: "*" }];
    if (denied.length) statements.push({ Effect: "Deny", Action: "sts:AssumeRole", Resource: denied.map((a) => roleArn(a)) });
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "operator",
        PolicyName: "operator",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
      }),
    );
    const k = await iam.send(new CreateAccessKeyCommand({ UserName: "operator" }));
    const sts = new STSClient({ endpoint: this.url, region: "us-east-1", credentials: bootstrap });
    for (const account of accounts) {
      const r = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn(account), RoleSessionName: "seed" }));
      const keys = {
        accessKeyId: r.Credentials?.AccessKeyId as string,
        secretAccessKey: r.Credentials?.SecretAccessKey as string,
        sessionToken: r.Credentials?.SessionToken as string,
      };
      const inAccount = new IAMClient({ endpoint: this.url, region: "us-east-1", credentials: keys });
      const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] };
      await inAccount.send(new CreateRoleCommand({ RoleName: "opsctl", AssumeRolePolicyDocument: JSON.stringify(trust) }));
      const policy = noDelete.includes(account)
        ? { ...ALLOW_ALL, Statement: [...ALLOW_ALL.Statement, { Effect: "Deny", Action: "ec2:DeleteVolume", Resource: "*" }] }
        : ALLOW_ALL;
      await inAccount.send(new PutRolePolicyCommand({ RoleName: "opsctl", PolicyName: "all", PolicyDocument: JSON.stringify(policy) }));
      this.roleKeys.set(account, keys);
    }
    await this.freeCalls(0);
    return { accessKeyId: k.AccessKey?.AccessKeyId as string, secretAccessKey: k.AccessKey?.SecretAccessKey as string };
  }

  ec2(account: string, region: string): EC2Client {
    const keys = this.roleKeys.get(account);
    if (!keys) throw new Error(`account ${account} was not set up`);
    return new EC2Client({ endpoint: this.url, region, credentials: keys });
  }

  /** An unattached volume in an account and region, `ageDays` old (moto's clock moved by libfaketime). */
  async volume(account: string, region: string, o: { ageDays: number; tags?: Record<string, string>; createdAt?: string }): Promise<string> {
    // createdAt ("2026-08-30 12:00:00") pins the creation time, for golden files; else ageDays before now.
    this.setClock(o.createdAt ?? `-${o.ageDays}d`);
    try {
      const tags = o.tags ?? {};
      const r = await this.ec2(account, region).send(
        new CreateVolumeCommand({
          AvailabilityZone: `${region}a`,
          Size: 8,
          VolumeType: "gp3",
          ...(Object.keys(tags).length
            ? { TagSpecifications: [{ ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }
            : {}),
        }),
      );
      return r.VolumeId as string;
    } finally {
      this.setClock("+0");
    }
  }

  /** Moves moto-auth's clock (libfaketime: "-56m", "-90d"; "+0" is now). */
  setClock(offset: string): void {
    writeFileSync(this.clock, `${offset}\n`);
  }

  async volumeIds(account: string, region: string): Promise<string[]> {
    const r = await this.ec2(account, region).send(new DescribeVolumesCommand({}));
    return (r.Volumes ?? []).map((v) => v.VolumeId as string).sort();
  }

  private async freeCalls(n: number): Promise<void> {
    const r = await fetch(`${this.url}/moto-api/reset-auth`, { method: "POST", body: String(n), headers: { "content-type": "text/plain" } });
    if (!r.ok) throw new Error(`moto reset-auth failed: ${r.status}`);
  }
}

/**
 * A lock another live run holds (this test process's pid on this host, so it is not stale),
 * in the local lock store under XDG_STATE_HOME: what src/core/lock/local.ts writes.
 */
export function holdLock(stateHome: string, id: string, command = "cleanup-volumes"): void {
  const dir = join(stateHome, "opsctl", "locks");
  mkdirSync(dir, { recursive: true });
  const holder = { id, pid: process.pid, host: hostname(), user: "someone", since: "2026-12-01T00:00:00.000Z", command, planDigest: "sha256:other" };
  writeFileSync(join(dir, `${createHash("sha256").update(id).digest("hex").slice(0, 32)}.lock`), JSON.stringify(holder));
}
