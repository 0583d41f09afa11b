import { type Peers, peers } from "./peers.ts";

export interface PdnsRRset {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

/** Drives the real PowerDNS API: zones for the dns-01 and dns-change tests, and what records are left. */
export class PowerDns {
  readonly p: Peers = peers();
  readonly url = this.p.PDNS_API_URL as string;
  readonly key = this.p.PDNS_API_KEY as string;
  /** The authoritative DNS server, for queries over real DNS. */
  readonly dnsServer = `127.0.0.1:${this.p.PDNS_DNS_PORT}`;

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}/api/v1/servers/localhost${path}`, {
      method,
      headers: { "X-API-Key": this.key, "Content-Type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  }

  /** (Re)creates an empty zone. */
  async zone(name: string): Promise<void> {
    await this.call("DELETE", `/zones/${name}`);
    const r = await this.call("POST", "/zones", { name, kind: "Native", nameservers: [`ns1.${name}`] });
    if (r.status !== 201) throw new Error(`PowerDNS zone create ${name}: ${r.status} ${await r.text()}`);
  }

  async txtRecords(zone: string): Promise<{ name: string; values: string[] }[]> {
    const r = await this.call("GET", `/zones/${zone}`);
    const body = (await r.json()) as { rrsets: { name: string; type: string; records: { content: string }[] }[] };
    return body.rrsets.filter((s) => s.type === "TXT").map((s) => ({ name: s.name, values: s.records.map((x) => x.content) }));
  }

  /** Writes record sets directly (seeding, or someone else's edit between plan and apply). */
  async put(zone: string, sets: PdnsRRset[]): Promise<void> {
    const rrsets = sets.map((s) => ({
      name: s.name,
      type: s.type,
      ttl: s.ttl,
      changetype: "REPLACE",
      records: s.values.map((content) => ({ content, disabled: false })),
    }));
    const r = await this.call("PATCH", `/zones/${zone}`, { rrsets });
    if (r.status !== 204) throw new Error(`PowerDNS PATCH ${zone}: ${r.status} ${await r.text()}`);
  }

  /** Every record set but the SOA, as "name type ttl value|value", sorted: compare whole zones. */
  async dump(zone: string): Promise<string[]> {
    const r = await this.call("GET", `/zones/${zone}`);
    const body = (await r.json()) as { rrsets: { name: string; type: string; ttl: number; records: { content: string }[] }[] };
    return body.rrsets
      .filter((s) => s.type !== "SOA" && s.records.length)
      .map(
        (s) =>
          `${s.name} ${s.type} ${s.ttl} ${s.records
            .map((x) => x.content)
            .sort()
            .join("|")}`,
      )
      .sort();
  }
}
