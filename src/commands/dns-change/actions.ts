import type { Action, Check, Precondition, Skipped } from "../../core/plan.ts";
import type { RRset } from "../../providers/dns/rdata.ts";
import type { ProviderCall, ZoneChange } from "../../providers/dns/zone.ts";
import { type Change, type DiffResult, threshold, type Untouched } from "./diff.ts";

// A zone's diff as plan data: one action per record set (create/update/delete) with
// before and after, the reason (file line or flag), the exact provider call and the
// before values as preconditions; what was left alone in skipped[], with a count; and
// the checks, including what was and was not validated against the control plane.

export const RRSET = "dns.rrset";

export interface ZonePlanInput {
  zone: string;
  provider: "route53" | "powerdns";
  diff: DiffResult;
  zoneSize: number;
  call(change: ZoneChange): ProviderCall;
  maxChangePercent: number;
  allowLargeChange: boolean;
  ttl: { min: number; max: number };
}

export function zonePlan(z: ZonePlanInput): { actions: Action[]; skipped: Skipped[]; checks: Check[] } {
  const actions = z.diff.changes.map((c) => toAction(z, c));
  const skipped = z.diff.untouched.map((u) => toSkipped(z.zone, u));
  const checks: Check[] = [];
  const where = z.provider === "route53" ? "Route 53" : "PowerDNS";
  checks.push({
    name: "dns.live-read",
    status: "passed",
    detail: `${z.zone}: read ${z.zoneSize} record sets from ${where} at plan time; every before value is a precondition, re-checked when the batch is applied`,
  });
  checks.push({
    name: "dns.not-validated",
    status: "warning",
    detail: `${z.zone}: ${where} has no dry run, so the ${z.provider === "route53" ? "ChangeResourceRecordSets batch" : "zone PATCH"} itself was not sent before apply; validated locally instead: value syntax per type, TTL bounds, CNAME rules, ownership`,
  });
  const byCheck = new Map<string, string[]>();
  for (const p of z.diff.problems) byCheck.set(p.check, [...(byCheck.get(p.check) ?? []), `${p.source}: ${p.message}`]);
  for (const [name, details] of byCheck) for (const detail of details) checks.push({ name, status: "failed", detail });
  const wanted = z.diff.changes.filter((c) => c.after).length + z.diff.inSync;
  if (!byCheck.size)
    checks.push({
      name: "dns.records",
      status: "passed",
      detail: `${z.zone}: ${wanted} desired record set(s) valid (values per type, TTL ${z.ttl.min}-${z.ttl.max}, no CNAME at the apex or beside other types)`,
    });
  const t = threshold(z.zone, z.zoneSize, z.diff.changes, z.maxChangePercent, z.allowLargeChange);
  checks.push({ name: "dns.threshold", status: t.status, detail: t.detail });
  checks.push({ name: "dns.untouched", status: "passed", detail: `${z.zone}: ${untouchedSummary(z.diff.untouched, z.diff.inSync)}` });
  return { actions, skipped, checks };
}

function toAction(z: ZonePlanInput, c: Change): Action {
  const show = (s: RRset | undefined) => (s ? `${s.ttl} ${s.values.join(" ")}` : "absent");
  const zc: ZoneChange = { op: c.op, name: c.name, type: c.type, ...(c.before ? { before: c.before } : {}), ...(c.after ? { after: c.after } : {}) };
  return {
    id: `${c.name} ${c.type}`,
    resource: {
      type: RRSET,
      id: `${c.name} ${c.type}`,
      name: relativeName(c.name, z.zone),
      attributes: {
        zone: z.zone,
        name: c.name,
        provider: z.provider,
        type: c.type,
        ...(c.before ? { beforeTtl: c.before.ttl, beforeValues: c.before.values } : {}),
        ...(c.after ? { ttl: c.after.ttl, values: c.after.values } : {}),
      },
    },
    operation: c.op,
    reason: {
      summary: `${c.source}: ${show(c.before)} → ${show(c.after)}`,
      evidence: { source: c.source, why: c.why, before: show(c.before), after: show(c.after) },
    },
    call: z.call(zc),
    checks: [],
    preconditions: preconditions(c),
  };
}

/** The exact before values; for a create, that the set is still absent. */
function preconditions(c: Change): Precondition[] {
  if (!c.before) return [{ description: "the record set is still absent", attribute: "values", expected: [], test: "empty" }];
  return [
    { description: "TTL as planned", attribute: "ttl", expected: c.before.ttl, test: "equals" },
    { description: "values as planned", attribute: "values", expected: c.before.values, test: "equals" },
  ];
}

function toSkipped(zone: string, u: Untouched): Skipped {
  return {
    resource: {
      type: RRSET,
      id: `${u.rrset.name} ${u.rrset.type}`,
      name: relativeName(u.rrset.name, zone),
      attributes: { zone, name: u.rrset.name, type: u.rrset.type, ttl: u.rrset.ttl, values: u.rrset.values },
    },
    reason: u.reason,
    category: u.category,
  };
}

function untouchedSummary(untouched: Untouched[], inSync: number): string {
  const count = (k: Untouched["category"]) => untouched.filter((u) => u.category === k).length;
  return `${untouched.length} record set(s) left untouched (not owned: ${count("out-of-scope")}, protected SOA/NS: ${count("protected")}, owned but kept without --prune: ${count("excluded")}, not manageable: ${count("not-eligible")}); ${inSync} already as desired`;
}

/** A batch's changes back from plan actions (the saved plan carries everything needed). */
export function changeFromAction(a: Action): ZoneChange {
  const at = a.resource.attributes;
  const name = String(at.name);
  const type = String(at.type);
  const before = at.beforeValues !== undefined ? { name, type, ttl: Number(at.beforeTtl), values: at.beforeValues as string[] } : undefined;
  const after = at.values !== undefined ? { name, type, ttl: Number(at.ttl), values: at.values as string[] } : undefined;
  return { op: a.operation as ZoneChange["op"], name, type, ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

/** "www" for www.example.com. in example.com., "@" for the apex: what a person writes in the file. */
function relativeName(name: string, zone: string): string {
  return name === zone ? "@" : name.endsWith(`.${zone}`) ? name.slice(0, -zone.length - 1) : name;
}
