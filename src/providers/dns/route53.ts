import { OpsError } from "../../core/errors.ts";
import { awsErrorInfo, remoteFailure } from "../aws/errors.ts";
import { type AwsClientOptions, awsClient } from "../aws/options.ts";
import type { DnsPort } from "./powerdns.ts";

// Route 53 through the official SDK client. Only TXT record sets under the zone are
// written; each change is waited for until Route 53 reports it INSYNC, because the CA
// may query any of the zone's name servers as soon as the challenge is answered.

export interface Route53Options extends AwsClientOptions {
  zone: string;
  /** Found by zone name when not given. */
  hostedZoneId?: string;
  timeoutMs: number;
}

const TTL = 60;

export async function createRoute53(o: Route53Options): Promise<DnsPort> {
  const {
    Route53Client,
    GetHostedZoneCommand,
    ListHostedZonesByNameCommand,
    ListResourceRecordSetsCommand,
    ChangeResourceRecordSetsCommand,
    GetChangeCommand,
  } = await import("@aws-sdk/client-route-53");
  const client = awsClient(Route53Client, "route53", { ...o, region: "us-east-1" });
  const zone = o.zone.endsWith(".") ? o.zone : `${o.zone}.`;
  let zoneId: string | undefined = o.hostedZoneId?.replace(/^\/hostedzone\//, "");

  const wrap = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (e) {
      if (e instanceof OpsError) throw e;
      const info = awsErrorInfo(e);
      if (info.class === "validation")
        throw new OpsError("validation", [{ message: `Route 53 refused: ${info.code}: ${info.message.split("\n")[0]}` }], { cause: e });
      throw remoteFailure("Route 53", o.endpoint, e);
    }
  };

  const resolveZone = async (): Promise<string | undefined> => {
    if (zoneId) {
      try {
        const z = await client.send(new GetHostedZoneCommand({ Id: zoneId }));
        return z.HostedZone?.Name === zone ? zoneId : undefined;
      } catch (e) {
        if ((e as { name?: string }).name === "NoSuchHostedZone") return undefined;
        throw e;
      }
    }
    const r = await client.send(new ListHostedZonesByNameCommand({ DNSName: zone, MaxItems: 1 }));
    const found = r.HostedZones?.find((z) => z.Name === zone && !z.Config?.PrivateZone);
    zoneId = found?.Id?.replace(/^\/hostedzone\//, "");
    return zoneId;
  };
  const requireZone = async (): Promise<string> => {
    const id = zoneId ?? (await resolveZone());
    if (!id) throw new OpsError("validation", [{ message: `Route 53 has no public hosted zone ${zone}` }]);
    return id;
  };
  const currentTxt = async (id: string, name: string): Promise<string[]> => {
    const r = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: id, StartRecordName: name, StartRecordType: "TXT", MaxItems: 1 }));
    const set = r.ResourceRecordSets?.find((s) => s.Name === name && s.Type === "TXT");
    return (set?.ResourceRecords ?? []).map((x) => x.Value as string);
  };
  const change = async (id: string, action: "UPSERT" | "DELETE", name: string, values: string[]) => {
    const r = await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: id,
        ChangeBatch: {
          Comment: "opsctl rotate-cert dns-01",
          Changes: [{ Action: action, ResourceRecordSet: { Name: name, Type: "TXT", TTL, ResourceRecords: values.map((Value) => ({ Value })) } }],
        },
      }),
    );
    const changeId = r.ChangeInfo?.Id;
    const deadline = Date.now() + o.timeoutMs;
    for (let status = r.ChangeInfo?.Status; status !== "INSYNC" && changeId; ) {
      if (Date.now() > deadline) throw new OpsError("remote", [{ message: `Route 53 change ${changeId} not INSYNC within ${o.timeoutMs} ms` }]);
      await new Promise((res) => setTimeout(res, 2000));
      status = (await client.send(new GetChangeCommand({ Id: changeId }))).ChangeInfo?.Status;
    }
  };

  return {
    checkZone: () =>
      wrap(async () => {
        const id = await resolveZone();
        return id
          ? { ok: true as const }
          : { ok: false as const, reason: `Route 53 has no public hosted zone ${zone}${o.hostedZoneId ? ` with id ${o.hostedZoneId}` : ""}` };
      }),
    addTxt: (name, value) =>
      wrap(async () => {
        const id = await requireZone();
        const n = fqdn(name);
        const content = `"${value}"`;
        const now = await currentTxt(id, n);
        if (!now.includes(content)) await change(id, "UPSERT", n, [...now, content]);
      }),
    removeTxt: (name, value) =>
      wrap(async () => {
        const id = await requireZone();
        const n = fqdn(name);
        const content = `"${value}"`;
        const now = await currentTxt(id, n);
        if (!now.includes(content)) return;
        const rest = now.filter((c) => c !== content);
        // DELETE must name the record set exactly as it is; with other values left, rewrite it.
        if (rest.length) await change(id, "UPSERT", n, rest);
        else await change(id, "DELETE", n, now);
      }),
  };
}

function fqdn(name: string): string {
  return name.endsWith(".") ? name : `${name}.`;
}
