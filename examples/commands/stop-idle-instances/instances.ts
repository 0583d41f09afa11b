import { type AwsClientOptions, awsClient, awsErrorInfo, DENIED_CODES, defineProvider } from "../../../src/sdk/index.ts";

// The command's own provider: a thin port over the official EC2 client, imported only
// when the command runs (so --help and --version of the binary load no SDK).

export interface Instance {
  id: string;
  state: string;
  type: string;
  tags: Record<string, string>;
}

export type DryRunVerdict = { ok: true } | { ok: false; code: string; message: string };

export interface InstancesPort {
  /** Running instances carrying the schedule tag, filtered server-side. */
  listScheduled(scheduleTag: string, tags: Record<string, string>): Promise<Instance[]>;
  get(id: string): Promise<Instance | undefined>;
  /** StopInstances DryRun=true: would the control plane accept it? */
  checkStop(id: string): Promise<DryRunVerdict>;
  stop(id: string): Promise<string>;
}

export const instancesProvider = defineProvider("stop-idle-instances.ec2", async (o: AwsClientOptions): Promise<InstancesPort> => {
  const sdk = await import("@aws-sdk/client-ec2");
  const client = awsClient(sdk.EC2Client, "ec2", o);
  const toInstance = (i: import("@aws-sdk/client-ec2").Instance): Instance => ({
    id: i.InstanceId ?? "",
    state: i.State?.Name ?? "unknown",
    type: i.InstanceType ?? "",
    tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
  });
  return {
    async listScheduled(scheduleTag, tags) {
      const Filters = [
        { Name: "instance-state-name", Values: ["running"] },
        { Name: "tag-key", Values: [scheduleTag] },
        ...Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
      ];
      const out: Instance[] = [];
      for await (const page of sdk.paginateDescribeInstances({ client, pageSize: 500 }, { Filters })) {
        for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) out.push(toInstance(i));
      }
      return out.sort((a, b) => a.id.localeCompare(b.id));
    },
    async get(id) {
      try {
        const r = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [id] }));
        const i = r.Reservations?.[0]?.Instances?.[0];
        return i ? toInstance(i) : undefined;
      } catch (e) {
        if (awsErrorInfo(e).code === "InvalidInstanceID.NotFound") return undefined;
        throw e;
      }
    },
    async checkStop(id) {
      try {
        await client.send(new sdk.StopInstancesCommand({ InstanceIds: [id], DryRun: true }));
        return { ok: false, code: "DryRunIgnored", message: "the endpoint stopped the instance instead of a dry run" };
      } catch (e) {
        const info = awsErrorInfo(e);
        if (info.code === "DryRunOperation") return { ok: true };
        // Unreachable or credentials rejected: a remote failure (exit 4), not a verdict on the call.
        if (info.class === "remote" || (info.class === "auth" && !DENIED_CODES.has(info.code))) throw e;
        return { ok: false, code: info.code, message: info.message };
      }
    },
    async stop(id) {
      const r = await client.send(new sdk.StopInstancesCommand({ InstanceIds: [id] }));
      return r.StoppingInstances?.[0]?.CurrentState?.Name ?? "stopping";
    },
  };
});
