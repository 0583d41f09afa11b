import { isIP } from "node:net";
import { verifyOverDns } from "../../providers/dns/verify.ts";
import type { ZoneChange, ZonePort } from "../../providers/dns/zone.ts";
import { awsOptions, OpsError, parseDuration, perRun, usageError } from "../../sdk/index.ts";
import type { DnsContext } from "./config.ts";

// One zone client per zone per run (plan, live re-reads and the batch share it), and how
// a zone is verified after apply: over DNS where a server can be asked, else the API.

const PDNS_TIMEOUT_MS = 15_000;

const ports = perRun(async () => new Map<string, Promise<ZonePort>>());

export async function zonePort(ctx: DnsContext, zone: string): Promise<ZonePort> {
  const m = await ports(ctx);
  let p = m.get(zone);
  if (!p) {
    p = open(ctx, zone);
    m.set(zone, p);
    p.catch(() => m.delete(zone));
  }
  return p;
}

function open(ctx: DnsContext, zone: string): Promise<ZonePort> {
  const d = ctx.section;
  if (d.provider === "route53") {
    const ids = d.route53.hostedZones ?? {};
    const id = ids[zone] ?? ids[zone.replace(/\.$/, "")];
    return ctx.provider("route53Zone", {
      ...awsOptions(ctx),
      zone,
      ...(id ? { hostedZoneId: id } : {}),
      syncTimeoutMs: parseDuration(d.route53.syncTimeout) ?? 300_000,
    });
  }
  const apiUrl = d.powerdns.apiUrl;
  const apiKey = ctx.secret("dns.powerdns.apiKey");
  const missing = [!apiUrl && "dns.powerdns.apiUrl", !apiKey && "dns.powerdns.apiKey"].filter(Boolean);
  if (missing.length)
    throw usageError(
      missing.map((k) => ({ message: `${k} is not set: dns-change needs it to reach PowerDNS (per environment: environments.${ctx.scope.environment}.${k})` })),
    );
  return ctx.provider("powerdnsZone", {
    apiUrl: apiUrl as string,
    apiKey: apiKey as string,
    serverId: d.powerdns.serverId,
    zone,
    timeoutMs: PDNS_TIMEOUT_MS,
    keyName: "dns.powerdns.apiKey",
    phase: () => ctx.phase,
  });
}

export type Verification = { how: "dns"; servers: string[]; text: string } | { how: "api"; text: string };

/** Decided at plan time, so the plan says how the change will be checked. */
export function verification(ctx: DnsContext): Verification {
  const d = ctx.section;
  const timeout = d.verifyTimeout;
  if (d.provider === "route53") {
    const servers = d.route53.nameservers ?? [];
    if (servers.length)
      return { how: "dns", servers, text: `after INSYNC, queried over DNS at ${servers.join(", ")} until the new values answer (up to ${timeout})` };
    return {
      how: "api",
      text: `after INSYNC, read back through the Route 53 API, not over DNS: no DNS server is configured (dns.route53.nameservers; an emulator such as moto has none)`,
    };
  }
  let servers = d.powerdns.nameservers ?? [];
  if (!servers.length) {
    const host = new URL(d.powerdns.apiUrl ?? "http://invalid").hostname.replace(/^\[|\]$/g, "");
    if (!isIP(host))
      throw usageError([
        { message: `dns.powerdns.nameservers is not set and the API host ${host} is not an IP address: say where the zone is served over DNS` },
      ]);
    servers = [isIP(host) === 6 ? `[${host}]:53` : `${host}:53`];
  }
  return { how: "dns", servers, text: `queried over DNS at ${servers.join(", ")} until the new values answer (up to ${timeout})` };
}

/** After the batch: every changed record set answers its new values (or is gone), or exit 4 naming what did not converge. */
export async function verifyZone(ctx: DnsContext, port: ZonePort, changes: ZoneChange[]): Promise<string> {
  const v = verification(ctx);
  const timeoutMs = parseDuration(ctx.section.verifyTimeout) ?? 120_000;
  const expect = changes.map((c) => ({ name: c.name, type: c.type, values: c.after?.values ?? [] }));
  const show = (vals: string[] | string) => (typeof vals === "string" ? vals : vals.length ? vals.join(", ") : "nothing");
  if (v.how === "dns") {
    const r = await verifyOverDns(expect, { servers: v.servers, timeoutMs });
    if (r.pending.length)
      throw new OpsError(
        "remote",
        r.pending.map((p) => ({
          message: `${port.zone}: the change was applied, but ${p.name} ${p.type} still answers ${show(p.got)} at ${v.servers.join(", ")} after ${ctx.section.verifyTimeout} (want ${show(p.values)})`,
          resource: `${p.name} ${p.type}`,
        })),
      );
    return `verified over DNS at ${v.servers.join(", ")}: ${expect.length} record set(s) answer the new values`;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending: string[] = [];
    for (const e of expect) {
      const now = await port.readRRset(e.name, e.type);
      if ((now?.values ?? []).join("\n") !== [...e.values].sort().join("\n"))
        pending.push(`${e.name} ${e.type} reads ${show(now?.values ?? [])} (want ${show(e.values)})`);
    }
    if (!pending.length)
      return `verified through the Route 53 API, not over DNS (no DNS server configured: dns.route53.nameservers): ${expect.length} record set(s) read back as planned`;
    if (Date.now() > deadline)
      throw new OpsError(
        "remote",
        pending.map((message) => ({ message: `${port.zone}: the change was applied, but ${message}` })),
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
}
