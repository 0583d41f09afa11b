import { canonicalName } from "../../providers/dns/rdata.ts";
import { type Action, type Check, defineCommand, type Skipped } from "../../sdk/index.ts";
import { changeFromAction, zonePlan } from "./actions.ts";
import { DNS_DEFAULTS, type DnsContext, DnsSchema } from "./config.ts";
import { diffZone } from "./diff.ts";
import { listFlag, zoneInputs } from "./inputs.ts";
import { verification, verifyZone, zonePort } from "./zones.ts";

// Reviewed DNS changes: the desired state of owned record sets (a file, or --set/--delete
// edits) against the live zone, one action per record set, applied per zone as one
// all-or-nothing batch (the SDK's batch: every action of a zone is re-checked first,
// then one provider call), then verified at the authoritative server.
// Exit 5 cannot happen for one zone: its batch is applied whole or not at all, so its
// actions all succeed or all fail; with several --zone, one zone can land and another fail.

export const dnsChange = defineCommand({
  name: "dns-change",
  description: "Reviewed DNS changes for Route 53 and PowerDNS: desired state or one-off edits, applied atomically per zone and verified",
  version: "1.0.0",
  config: { key: "dns", schema: DnsSchema, defaults: DNS_DEFAULTS },
  providers: ["powerdnsZone", "route53Zone"],
  flags: [
    { name: "zone", kind: "list", required: true, valueName: "ZONE", description: "Zone to change, e.g. example.com. (repeatable)" },
    {
      name: "desired",
      kind: "list",
      valueName: "FILE",
      description: "Desired-state file (YAML or JSON) of the record sets it owns (repeatable, one per zone)",
    },
    { name: "set", kind: "list", valueName: "'NAME TYPE TTL VALUE…'", description: "Set one record set, e.g. 'www A 300 192.0.2.10' (repeatable)" },
    { name: "delete", kind: "list", valueName: "'NAME TYPE'", description: "Delete one record set, e.g. 'old CNAME' (repeatable)" },
    { name: "prune", kind: "boolean", description: "With --desired: delete owned record sets the file omits" },
    {
      name: "provider",
      kind: "enum",
      values: ["powerdns", "route53"],
      configKey: "dns.provider",
      description: "Where the zones are served (default from dns.provider)",
    },
    { name: "allow-large-change", kind: "boolean", description: "Accept a plan that updates/deletes more than dns.maxChangePercent of a zone" },
  ],
  permissions: [
    "route53:ListHostedZonesByName",
    "route53:GetHostedZone",
    "route53:ListResourceRecordSets",
    "route53:ChangeResourceRecordSets",
    "route53:GetChange",
    "powerdns:GET /api/v1/servers/{server}/zones/{zone}",
    "powerdns:PATCH /api/v1/servers/{server}/zones/{zone}",
  ],
  scope: { region: (d) => d.provider === "route53" },

  parameters(ctx) {
    const d = ctx.section;
    return {
      provider: d.provider,
      zones: listFlag(ctx, "zone").map(canonicalName),
      desired: listFlag(ctx, "desired"),
      set: listFlag(ctx, "set"),
      delete: listFlag(ctx, "delete"),
      prune: ctx.flags.prune === true,
      allowLargeChange: ctx.flags["allow-large-change"] === true,
      maxChangePercent: d.maxChangePercent,
      ttl: { min: d.minTtl, max: d.maxTtl },
      owned: d.owned,
    };
  },

  async plan(ctx) {
    const d = ctx.section;
    const inputs = await zoneInputs(ctx);
    const verify = verification(ctx);
    const actions: Action[] = [];
    const skipped: Skipped[] = [];
    const checks: Check[] = [];
    for (const input of inputs) {
      const port = await zonePort(ctx, input.zone);
      const live = await port.readZone();
      const diff = diffZone({ zone: input.zone, live, desired: input.desired, owned: d.owned, ttl: { min: d.minTtl, max: d.maxTtl } });
      const z = zonePlan({
        zone: port.zone,
        provider: port.provider,
        diff,
        zoneSize: live.length,
        call: (c) => port.call(c),
        maxChangePercent: d.maxChangePercent,
        allowLargeChange: ctx.flags["allow-large-change"] === true,
        ttl: { min: d.minTtl, max: d.maxTtl },
      });
      actions.push(...z.actions);
      skipped.push(...z.skipped);
      checks.push(...z.checks);
      if (z.actions.length) checks.push({ name: "dns.verify", status: "passed", detail: `${port.zone}: ${verify.text}` });
    }
    return { actions, skipped, checks };
  },

  async live(action, ctx) {
    const port = await zonePort(ctx, String(action.resource.attributes.zone));
    const now = await port.readRRset(String(action.resource.attributes.name), String(action.resource.attributes.type));
    // Absent is a state too (a create expects it): never "gone", so a stale delete is refused, not skipped.
    return now ? { ttl: now.ttl, values: now.values } : { values: [] };
  },

  // Every action of one zone goes into a single provider call (Route 53 change batch, PowerDNS PATCH).
  batch: {
    group: (action) => String(action.resource.attributes.zone),
    async apply(actions, ctx, plan) {
      const port = await zonePort(ctx, String(actions[0]?.resource.attributes.zone));
      const changes = actions.map(changeFromAction);
      const applied = await port.apply(changes, `opsctl dns-change ${plan.digest.slice(0, 19)}`);
      const verified = await verifyZone(ctx as DnsContext, port, changes);
      return { status: "applied", detail: `${applied.detail}; ${verified}` };
    },
  },
  apply: {},
});
