import { OpsError } from "../../core/errors.ts";
import { awsErrorInfo, remoteFailure } from "../aws/errors.ts";
import { type AwsClientOptions, awsClient } from "../aws/options.ts";
import { canonicalName, canonicalProviderValues, type RRset } from "./rdata.ts";
import { type LiveRRset, refuseMoved, type ZoneChange, type ZonePort } from "./zone.ts";

// A whole Route 53 hosted zone through the official SDK client. Apply is one
// ChangeResourceRecordSets batch: a create is CREATE (refused if the set appeared), an
// update is DELETE of the exact before values + CREATE, a delete is DELETE of the exact
// before values. Route 53 checks every DELETE against what it holds and rejects the
// whole batch if one differs, so a stale plan cannot overwrite someone's edit. Then
// GetChange is polled until INSYNC (every Route 53 name server has the change).
// Each changed set is also re-read just before the batch: moto checks a DELETE against
// its journal of past writes, not the current values (measured, moto 5.2.1), so without
// the re-read a stale plan would pass there; against Route 53 the server check closes
// the window between that re-read and the batch.

export interface Route53ZoneOptions extends AwsClientOptions {
  zone: string;
  /** Found by zone name (public zones) when not given. */
  hostedZoneId?: string;
  /** How long to wait for INSYNC. */
  syncTimeoutMs: number;
  /** Poll interval for GetChange. */
  pollMs?: number;
  /** ListResourceRecordSets page size (tests use a small one to exercise paging). */
  pageSize?: number;
}

const PAGE = 300;

export async function createRoute53Zone(o: Route53ZoneOptions): Promise<ZonePort> {
  const {
    Route53Client,
    GetHostedZoneCommand,
    ListHostedZonesByNameCommand,
    ListResourceRecordSetsCommand,
    ChangeResourceRecordSetsCommand,
    GetChangeCommand,
  } = await import("@aws-sdk/client-route-53");
  const client = awsClient(Route53Client, "route53", { ...o, region: "us-east-1" });
  const zone = canonicalName(o.zone);
  let zoneId: string | undefined;

  const wrap = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (e) {
      if (e instanceof OpsError) throw e;
      throw remoteFailure("Route 53", o.endpoint, e);
    }
  };
  const hostedZone = async (): Promise<string> => {
    if (zoneId) return zoneId;
    const given = o.hostedZoneId?.replace(/^\/hostedzone\//, "");
    if (given) {
      const z = await client.send(new GetHostedZoneCommand({ Id: given })).catch((e) => {
        if (awsErrorInfo(e).code === "NoSuchHostedZone") return undefined;
        throw e;
      });
      if (canonicalName(z?.HostedZone?.Name ?? "") !== zone) throw new OpsError("validation", [{ message: `Route 53 hosted zone ${given} is not ${zone}` }]);
      zoneId = given;
      return given;
    }
    const r = await client.send(new ListHostedZonesByNameCommand({ DNSName: zone, MaxItems: 10 }));
    const found = (r.HostedZones ?? []).filter((z) => canonicalName(z.Name ?? "") === zone && !z.Config?.PrivateZone);
    if (found.length !== 1)
      throw new OpsError("validation", [
        {
          message: found.length
            ? `Route 53 has ${found.length} public hosted zones named ${zone}: set its id in dns.route53.hostedZones`
            : `Route 53 has no public hosted zone ${zone}`,
        },
      ]);
    zoneId = String(found[0]?.Id ?? "").replace(/^\/hostedzone\//, "");
    return zoneId;
  };

  type ApiSet = { Name?: string; Type?: string; TTL?: number; ResourceRecords?: { Value?: string }[]; AliasTarget?: unknown; SetIdentifier?: string };
  const toLive = (s: ApiSet): LiveRRset => {
    const base = { name: canonicalName(s.Name ?? ""), type: s.Type ?? "", ttl: s.TTL ?? 0 };
    if (s.AliasTarget) return { ...base, values: [], unmanaged: "a Route 53 alias record" };
    const values = canonicalProviderValues(
      base.type,
      (s.ResourceRecords ?? []).map((r) => r.Value ?? ""),
    );
    if (s.SetIdentifier) return { ...base, values, unmanaged: `a Route 53 routing-policy record set (SetIdentifier ${s.SetIdentifier})` };
    return { ...base, values };
  };
  const toApi = (s: RRset) => ({ Name: s.name, Type: s.type as never, TTL: s.ttl, ResourceRecords: s.values.map((Value) => ({ Value })) });
  const entries = (c: ZoneChange) => [
    ...(c.before ? [{ Action: "DELETE" as const, ResourceRecordSet: toApi(c.before) }] : []),
    ...(c.after ? [{ Action: "CREATE" as const, ResourceRecordSet: toApi(c.after) }] : []),
  ];

  const readOne = async (HostedZoneId: string, name: string, type: string) => {
    const r = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId, StartRecordName: name, StartRecordType: type as never, MaxItems: 1 }));
    return (r.ResourceRecordSets ?? []).map(toLive).find((s) => s.name === name && s.type === type);
  };

  return {
    provider: "route53",
    zone,
    readZone: () =>
      wrap(async () => {
        const HostedZoneId = await hostedZone();
        const out: LiveRRset[] = [];
        let next: { StartRecordName?: string; StartRecordType?: never; StartRecordIdentifier?: string } = {};
        for (;;) {
          const r = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId, MaxItems: o.pageSize ?? PAGE, ...next }));
          out.push(...(r.ResourceRecordSets ?? []).map(toLive));
          if (!r.IsTruncated) return out;
          next = {
            StartRecordName: r.NextRecordName,
            StartRecordType: r.NextRecordType as never,
            ...(r.NextRecordIdentifier ? { StartRecordIdentifier: r.NextRecordIdentifier } : {}),
          };
        }
      }),
    readRRset: (name, type) =>
      wrap(async () => {
        return readOne(await hostedZone(), name, type);
      }),
    call: (c) => ({
      service: "route53",
      operation: "ChangeResourceRecordSets",
      parameters: { HostedZoneId: o.hostedZoneId ?? `(hosted zone ${zone})`, Changes: entries(c) },
    }),
    apply: (changes, comment) =>
      wrap(async () => {
        const HostedZoneId = await hostedZone();
        const now = new Map<ZoneChange, LiveRRset | undefined>();
        for (const c of changes) now.set(c, await readOne(HostedZoneId, c.name, c.type));
        refuseMoved(changes, (c) => now.get(c));
        let info: { Id?: string; Status?: string } | undefined;
        try {
          const r = await client.send(
            new ChangeResourceRecordSetsCommand({ HostedZoneId, ChangeBatch: { Comment: comment, Changes: changes.flatMap(entries) } }),
          );
          info = r.ChangeInfo;
        } catch (e) {
          const i = awsErrorInfo(e);
          // InvalidChangeBatch (a DELETE whose values moved, a CREATE that exists) and InvalidInput refuse the whole batch.
          if (i.class === "validation")
            throw new OpsError("validation", [{ message: `Route 53 refused the change batch, nothing was changed: ${i.code}: ${i.message.split("\n")[0]}` }], {
              cause: e,
            });
          throw e;
        }
        const deadline = Date.now() + o.syncTimeoutMs;
        let status = info?.Status;
        while (status !== "INSYNC" && info?.Id) {
          if (Date.now() > deadline)
            throw new OpsError("remote", [{ message: `Route 53 change ${info.Id} applied but not INSYNC within ${o.syncTimeoutMs} ms` }]);
          await new Promise((res) => setTimeout(res, o.pollMs ?? 2000));
          status = (await client.send(new GetChangeCommand({ Id: info.Id }))).ChangeInfo?.Status;
        }
        return { detail: `one ChangeResourceRecordSets batch (${info?.Id ?? "?"}) of ${changes.length} change(s), INSYNC` };
      }),
  };
}
