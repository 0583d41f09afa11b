import * as v from "valibot";
import { duration, positiveInt, type RunContext, type SectionOf, secret } from "../../sdk/index.ts";

// The `dns` config section, usually per environment (environments.prod.dns.…).

const nameserver = v.pipe(
  v.string(),
  v.regex(/^(\[[0-9a-fA-F:]+\]|[0-9.]+)(:\d{1,5})?$/, "must be IP or IP:port ([v6]:port), e.g. 192.0.2.53:53"),
  v.description("An authoritative DNS server to query after apply"),
);

export const DnsSchema = v.strictObject({
  provider: v.optional(v.pipe(v.picklist(["powerdns", "route53"], "must be one of powerdns, route53"), v.description("Where the zones are served"))),
  maxChangePercent: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.minValue(0, "must be 0-100"),
      v.maxValue(100, "must be 0-100"),
      v.description("Refuse (exit 3, unless --allow-large-change) plans whose updates and deletes exceed this share of a zone of 10+ record sets"),
    ),
  ),
  minTtl: v.optional(positiveInt("Smallest TTL a desired record set may have (seconds)")),
  maxTtl: v.optional(positiveInt("Largest TTL a desired record set may have (seconds)")),
  owned: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.minLength(1))),
      v.description("Name patterns opsctl owns besides the names a desired file lists (relative to the zone or absolute; * matches anything)"),
    ),
  ),
  verifyTimeout: v.optional(duration("How long apply waits for the changed names to answer their new values (exit 4 past it)")),
  powerdns: v.optional(
    v.strictObject({
      apiUrl: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("PowerDNS HTTP API base URL"))),
      apiKey: v.optional(secret("PowerDNS API key (use env: or file:)")),
      serverId: v.optional(v.pipe(v.string(), v.minLength(1), v.description("PowerDNS server id"))),
      nameservers: v.optional(v.pipe(v.array(nameserver), v.description("Where to query the zone over DNS (default: the API host, port 53)"))),
    }),
  ),
  route53: v.optional(
    v.strictObject({
      hostedZones: v.optional(
        v.pipe(
          v.record(v.string(), v.pipe(v.string(), v.minLength(1))),
          v.description("Hosted zone id per zone name (default: the one public zone of that name)"),
        ),
      ),
      nameservers: v.optional(
        v.pipe(v.array(nameserver), v.description("Query these over DNS after INSYNC (default: verify through the API: no DNS server is assumed reachable)")),
      ),
      syncTimeout: v.optional(duration("How long to wait for GetChange to report INSYNC")),
    }),
  ),
});

export const DNS_DEFAULTS = {
  provider: "powerdns" as "powerdns" | "route53",
  maxChangePercent: 30,
  minTtl: 60,
  maxTtl: 86400,
  owned: [] as string[],
  verifyTimeout: "2m",
  powerdns: { serverId: "localhost" },
  route53: { syncTimeout: "5m" },
};

export type DnsSection = SectionOf<typeof DnsSchema, typeof DNS_DEFAULTS>;
export type DnsContext = RunContext<DnsSection>;
