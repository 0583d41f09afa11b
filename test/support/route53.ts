import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { peers } from "./peers.ts";

/** Hosted zones in the real moto server, seeded and read back through the SDK. */
export class MotoRoute53 {
  readonly url = peers().MOTO_URL;
  readonly client = new Route53Client({ endpoint: this.url, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });

  async zone(name: string): Promise<string> {
    const r = await this.client.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Date.now()}-${Math.random()}` }));
    return String(r.HostedZone?.Id).replace(/^\/hostedzone\//, "");
  }

  async put(id: string, sets: { name: string; type: string; ttl: number; values: string[] }[]): Promise<void> {
    await this.client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: id,
        ChangeBatch: {
          Changes: sets.map((s) => ({
            Action: "UPSERT",
            ResourceRecordSet: { Name: s.name, Type: s.type as never, TTL: s.ttl, ResourceRecords: s.values.map((Value) => ({ Value })) },
          })),
        },
      }),
    );
  }

  /** Every record set but SOA and NS, as "name type ttl value|value", sorted. */
  async dump(id: string): Promise<string[]> {
    const r = await this.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: id }));
    return (r.ResourceRecordSets ?? [])
      .filter((s) => s.Type !== "SOA" && s.Type !== "NS")
      .map(
        (s) =>
          `${s.Name} ${s.Type} ${s.TTL} ${(s.ResourceRecords ?? [])
            .map((x) => x.Value)
            .sort()
            .join("|")}`,
      )
      .sort();
  }
}
