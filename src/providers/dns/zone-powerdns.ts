import { OpsError } from "../../core/errors.ts";
import { MutationRefused, type Phase } from "../../core/providers.ts";
import { canonicalName, canonicalProviderValues, type RRset, rrsetKey } from "./rdata.ts";
import { type LiveRRset, refuseMoved, type ZoneChange, type ZonePort } from "./zone.ts";

// A whole PowerDNS zone over its HTTP API (/api/v1), with fetch. PowerDNS has no
// conditional write, so apply re-reads the zone, refuses if any before value moved, and
// sends one PATCH of every rrset: the server applies a PATCH in one transaction (all or
// nothing). The window between that re-read and the PATCH is the API's, not ours to close.

export interface PowerDnsZoneOptions {
  apiUrl: string;
  apiKey: string;
  serverId: string;
  zone: string;
  timeoutMs: number;
  /** The config key that holds the API key, named when PowerDNS rejects it. */
  keyName: string;
  /** While it answers plan or validate, only GETs are sent (the SDK's read-only guard). */
  phase?: () => Phase | undefined;
}

interface ApiRRset {
  name: string;
  type: string;
  ttl: number;
  records: { content: string; disabled: boolean }[];
}

export function createPowerDnsZone(o: PowerDnsZoneOptions): ZonePort {
  const zone = canonicalName(o.zone);
  const api = o.apiUrl.replace(/\/+$/, "");
  const path = `/api/v1/servers/${encodeURIComponent(o.serverId)}/zones/${encodeURIComponent(zone)}`;

  const send = async (method: string, url: string, body?: unknown): Promise<Response> => {
    const now = o.phase?.();
    if (method !== "GET" && now && now !== "apply") throw new MutationRefused("powerdns", `${method} ${path}`, now);
    let r: Response;
    try {
      r = await fetch(url, {
        method,
        headers: { "X-API-Key": o.apiKey, Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (e) {
      const err = e as { code?: string; name?: string; message?: string };
      throw new OpsError("remote", [{ message: `cannot reach PowerDNS at ${api}: ${err.code ?? err.name ?? "error"} (${err.message ?? e})` }], { cause: e });
    }
    if (r.status === 401 || r.status === 403)
      throw new OpsError("remote", [{ message: `PowerDNS at ${api} rejected the API key (${r.status}): check ${o.keyName}` }]);
    return r;
  };
  const answer = async (what: string, r: Response) => `PowerDNS ${what} answered ${r.status}: ${(await r.text()).slice(0, 300)}`;

  const toLive = (s: ApiRRset): LiveRRset => {
    const enabled = s.records.filter((x) => !x.disabled);
    const live: LiveRRset = {
      name: canonicalName(s.name),
      type: s.type,
      ttl: s.ttl,
      values: canonicalProviderValues(
        s.type,
        enabled.map((x) => x.content),
      ),
    };
    return enabled.length < s.records.length ? { ...live, unmanaged: "a PowerDNS record set with disabled records" } : live;
  };
  const read = async (query: string): Promise<LiveRRset[]> => {
    const r = await send("GET", `${api}${path}${query}`);
    if (r.status === 404 || r.status === 422)
      throw new OpsError("validation", [{ message: `zone ${zone} does not exist on PowerDNS server ${o.serverId} at ${api}` }]);
    if (!r.ok) throw new OpsError("remote", [{ message: await answer(`GET zone ${zone}`, r) }]);
    const body = (await r.json()) as { rrsets?: ApiRRset[] };
    // Empty rrsets (comments only) carry no records and are no record set.
    return (body.rrsets ?? []).filter((s) => s.records.length > 0).map(toLive);
  };

  const rrsetBody = (c: ZoneChange) =>
    c.op === "delete"
      ? { name: c.name, type: c.type, changetype: "DELETE" }
      : {
          name: c.name,
          type: c.type,
          ttl: (c.after as RRset).ttl,
          changetype: "REPLACE",
          records: (c.after as RRset).values.map((content) => ({ content, disabled: false })),
        };

  return {
    provider: "powerdns",
    zone,
    readZone: () => read(""),
    async readRRset(name, type) {
      const all = await read(`?rrset_name=${encodeURIComponent(name)}&rrset_type=${encodeURIComponent(type)}`);
      return all.find((s) => s.name === name && s.type === type);
    },
    call: (c) => ({ service: "powerdns", operation: `PATCH ${path}`, parameters: { rrsets: [rrsetBody(c)] } }),
    async apply(changes) {
      const now = new Map((await read("")).map((s) => [rrsetKey(s), s]));
      refuseMoved(changes, (c) => now.get(rrsetKey(c)));
      const r = await send("PATCH", `${api}${path}`, { rrsets: changes.map(rrsetBody) });
      if (r.status === 422 || r.status === 400) throw new OpsError("validation", [{ message: `${await answer(`PATCH ${zone}`, r)} (nothing was changed)` }]);
      if (!r.ok) throw new OpsError("remote", [{ message: await answer(`PATCH ${zone}`, r) }]);
      return { detail: `one PATCH of ${changes.length} rrset(s) to ${zone}` };
    },
  };
}
