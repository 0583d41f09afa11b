import { type Peers, peers } from "./peers.ts";

/** Drives the real PowerDNS API: zones for the dns-01 tests, and what TXT records are left. */
export class PowerDns {
  readonly p: Peers = peers();
  readonly url = this.p.PDNS_API_URL as string;
  readonly key = this.p.PDNS_API_KEY as string;

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
}
