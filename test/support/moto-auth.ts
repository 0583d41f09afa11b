import { CreateVolumeCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { peers } from "./peers.ts";

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The moto instance that enforces IAM (INITIAL_NO_AUTH_ACTION_COUNT=0). moto lets a
 * given number of calls through unauthenticated after POST /moto-api/reset-auth: they
 * create the users; then every call is checked against their policies.
 */
export class MotoAuth {
  readonly url: string;

  constructor() {
    const url = peers().MOTO_AUTH_URL;
    if (!url) throw new Error("MOTO_AUTH_URL missing from the peers env: start moto-auth (scripts/peers.sh start)");
    this.url = url;
  }

  /** Fresh state with two users: an admin, and one that may describe volumes but not delete them. */
  async setup(): Promise<{ admin: Keys; readOnly: Keys }> {
    await fetch(`${this.url}/moto-api/reset`, { method: "POST" });
    await this.freeCalls(6);
    const iam = new IAMClient({ endpoint: this.url, region: "us-east-1", credentials: { accessKeyId: "bootstrap", secretAccessKey: "bootstrap" } });
    const user = async (name: string, policy: object): Promise<Keys> => {
      await iam.send(new CreateUserCommand({ UserName: name }));
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
      const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      return { accessKeyId: k.AccessKey?.AccessKeyId as string, secretAccessKey: k.AccessKey?.SecretAccessKey as string };
    };
    const admin = await user("admin", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
    const readOnly = await user("opsctl-ro", {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["ec2:Describe*", "sts:GetCallerIdentity"], Resource: "*" },
        { Effect: "Deny", Action: ["ec2:DeleteVolume", "ec2:CreateSnapshot"], Resource: "*" },
      ],
    });
    await this.freeCalls(0);
    return { admin, readOnly };
  }

  ec2(keys: Keys): EC2Client {
    return new EC2Client({ endpoint: this.url, region: "us-east-1", credentials: keys });
  }

  async volume(keys: Keys, tags: Record<string, string>): Promise<string> {
    const r = await this.ec2(keys).send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: 8,
        TagSpecifications: [{ ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    return r.VolumeId as string;
  }

  async volumeIds(keys: Keys): Promise<string[]> {
    const r = await this.ec2(keys).send(new DescribeVolumesCommand({}));
    return (r.Volumes ?? []).map((v) => v.VolumeId as string).sort();
  }

  private async freeCalls(n: number): Promise<void> {
    const r = await fetch(`${this.url}/moto-api/reset-auth`, { method: "POST", body: String(n), headers: { "content-type": "text/plain" } });
    if (!r.ok) throw new Error(`moto reset-auth failed: ${r.status}`);
  }
}
