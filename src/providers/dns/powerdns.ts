import { OpsError } from "../../core/errors.ts";

// PowerDNS authoritative HTTP API (/api/v1). No client library: a handful of calls over fetch.
// Only TXT rrsets under _acme-challenge are ever written, and only ones opsctl put there.

export interface DnsOptions {
  apiUrl: string;
  apiKey: string;
  serverId: string;
  zone: string;
  timeoutMs: number;
}

export interface DnsPort {
  /** The API accepts the key and the zone exists. */
  checkZone(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Adds value to the TXT rrset at name (several authorisations may share a name). */
  addTxt(name: string, value: string): Promise<void>;
  removeTxt(name: string, value: string): Promise<void>;
}

export function createPowerDns(o: DnsOptions): DnsPort {
  const zone = o.zone.endsWith(".") ? o.zone : `${o.zone}.`;
  const base = `${o.apiUrl.replace(/\/+$/, "")}/api/v1/servers/${encodeURIComponent(o.serverId)}/zones/${encodeURIComponent(zone)}`;
  const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`);

  const call = async (method: string, url: string, body?: unknown): Promise<Response> => {
    let r: Response;
    try {
      r = await fetch(url, {
        method,
        headers: { "X-API-Key": o.apiKey, ...(body ? { "Content-Type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (e) {
      const err = e as { code?: string; name?: string; message?: string };
      throw new OpsError("remote", [{ message: `cannot reach PowerDNS at ${o.apiUrl}: ${err.code ?? err.name ?? "error"} (${err.message ?? e})` }], {
        cause: e,
      });
    }
    if (r.status === 401 || r.status === 403) {
      throw new OpsError("remote", [{ message: `PowerDNS at ${o.apiUrl} rejected the API key (${r.status}): check rotateCert.dns.powerdns.apiKey` }]);
    }
    return r;
  };
  const fail = async (what: string, r: Response) =>
    new OpsError("remote", [{ message: `PowerDNS ${what} answered ${r.status}: ${(await r.text()).slice(0, 200)}` }]);

  const currentTxt = async (name: string): Promise<string[]> => {
    const r = await call("GET", `${base}?rrset_name=${encodeURIComponent(name)}&rrset_type=TXT`);
    if (!r.ok) throw await fail(`GET zone ${zone}`, r);
    const body = (await r.json()) as { rrsets?: { name: string; type: string; records: { content: string }[] }[] };
    const set = body.rrsets?.find((s) => s.name === name && s.type === "TXT");
    return (set?.records ?? []).map((x) => x.content);
  };
  const writeTxt = async (name: string, contents: string[]) => {
    const rrset = contents.length
      ? { name, type: "TXT", ttl: 60, changetype: "REPLACE", records: contents.map((content) => ({ content, disabled: false })) }
      : { name, type: "TXT", changetype: "DELETE" };
    const r = await call("PATCH", base, { rrsets: [rrset] });
    if (!r.ok) throw await fail(`PATCH ${name} TXT`, r);
  };

  return {
    async checkZone() {
      const r = await call("GET", `${base}?rrsets=false`);
      if (r.status === 404 || r.status === 422) return { ok: false, reason: `zone ${zone} does not exist on PowerDNS server ${o.serverId}` };
      if (!r.ok) throw await fail(`GET zone ${zone}`, r);
      return { ok: true };
    },
    async addTxt(name, value) {
      const n = fqdn(name);
      if (!n.endsWith(`.${zone}`) && n !== zone) throw new OpsError("validation", [{ message: `${n} is not inside zone ${zone} (rotateCert.dns.zone)` }]);
      const content = quote(value);
      // The rrset is rewritten whole: keep the values others (or a parallel authorisation) put there.
      const now = await currentTxt(n);
      if (!now.includes(content)) await writeTxt(n, [...now, content]);
    },
    async removeTxt(name, value) {
      const n = fqdn(name);
      const content = quote(value);
      const now = await currentTxt(n);
      if (now.includes(content))
        await writeTxt(
          n,
          now.filter((c) => c !== content),
        );
    },
  };
}

/** TXT content in zone-file form, as the API stores it. */
function quote(v: string): string {
  return `"${v.replace(/(["\\])/g, "\\$1")}"`;
}
