import { canonicalName, canonicalValue, isRecordType, qualify, RECORD_TYPES, type RRset, rrsetKey, sameRRset, sortValues } from "../../providers/dns/rdata.ts";
import type { DesiredEntry } from "./desired.ts";
import type { DeleteEdit } from "./edits.ts";

// Pure: live zone + desired state + ownership → the changes, what was left alone and why,
// and every problem found (invalid value, TTL out of bounds, CNAME conflict) with its source.
// opsctl changes only what it owns: the names a desired file lists (every type at them),
// names matching dns.owned patterns, or exactly the record sets named by --set/--delete.

export interface LiveRRset extends RRset {
  /** Why opsctl never changes this record set (alias, routing policy), when it does not. */
  unmanaged?: string;
}

export interface Change {
  op: "create" | "update" | "delete";
  name: string;
  type: string;
  before?: RRset;
  after?: RRset;
  /** file:line, or the flag, that asked for it. */
  source: string;
  why: string;
}

export interface Untouched {
  rrset: LiveRRset;
  reason: string;
  category: "protected" | "excluded" | "out-of-scope" | "not-eligible";
}

export interface ZoneProblem {
  source: string;
  message: string;
  check: "dns.values" | "dns.ttl" | "dns.cname" | "dns.duplicate" | "dns.unmanaged";
}

export type DesiredInput =
  | { kind: "file"; files: string[]; entries: DesiredEntry[]; prune: boolean }
  | { kind: "edits"; sets: DesiredEntry[]; deletes: DeleteEdit[] };

export interface DiffInput {
  zone: string;
  live: LiveRRset[];
  desired: DesiredInput;
  /** dns.owned: name patterns, relative to the zone or absolute; `*` matches any run of characters. */
  owned: string[];
  ttl: { min: number; max: number };
}

export interface DiffResult {
  changes: Change[];
  untouched: Untouched[];
  inSync: number;
  problems: ZoneProblem[];
}

export function diffZone(input: DiffInput): DiffResult {
  const zone = canonicalName(input.zone);
  const problems: ZoneProblem[] = [];
  const live = new Map(input.live.map((s) => [rrsetKey(s), s]));
  const want = new Map<string, { rrset: RRset; source: string }>();
  const entries = input.desired.kind === "file" ? input.desired.entries : input.desired.sets;

  for (const e of entries) {
    const q = qualify(e.name, zone);
    if ("error" in q) {
      problems.push({ source: e.source, message: q.error, check: "dns.values" });
      continue;
    }
    if (!isRecordType(e.type)) {
      problems.push({ source: e.source, message: `type ${e.type} is not supported (one of ${RECORD_TYPES.join(", ")})`, check: "dns.values" });
      continue;
    }
    if (e.ttl < input.ttl.min || e.ttl > input.ttl.max)
      problems.push({
        source: e.source,
        message: `${q.name} ${e.type}: TTL ${e.ttl} is outside ${input.ttl.min}-${input.ttl.max} (dns.ttl)`,
        check: "dns.ttl",
      });
    const values: string[] = [];
    for (const raw of e.values) {
      const v = canonicalValue(e.type, raw);
      if ("error" in v) problems.push({ source: e.source, message: `${q.name} ${e.type}: ${v.error}`, check: "dns.values" });
      else values.push(v.value);
    }
    const key = rrsetKey({ name: q.name, type: e.type });
    const dup = want.get(key);
    if (dup) {
      problems.push({ source: e.source, message: `${q.name} ${e.type} is already given at ${dup.source}`, check: "dns.duplicate" });
      continue;
    }
    if (values.length > 1 && e.type === "CNAME")
      problems.push({ source: e.source, message: `${q.name} CNAME has ${values.length} values; a CNAME has one`, check: "dns.cname" });
    want.set(key, { rrset: { name: q.name, type: e.type, ttl: e.ttl, values: sortValues(values) }, source: e.source });
  }

  const deletes = new Map<string, DeleteEdit>();
  if (input.desired.kind === "edits") {
    for (const d of input.desired.deletes) {
      const q = qualify(d.name, zone);
      if ("error" in q) problems.push({ source: d.source, message: q.error, check: "dns.values" });
      else if (want.has(rrsetKey({ name: q.name, type: d.type })))
        problems.push({
          source: d.source,
          message: `${q.name} ${d.type} is also set by ${want.get(rrsetKey({ name: q.name, type: d.type }))?.source}`,
          check: "dns.duplicate",
        });
      else deletes.set(rrsetKey({ name: q.name, type: d.type }), d);
    }
  }

  const fileNames = new Set([...want.values()].map((w) => w.rrset.name));
  const patterns = input.owned.map((p) => globToRegExp(p, zone));
  const ownedBy = (s: RRset): string | undefined => {
    if (s.type === "SOA") return undefined;
    // The apex NS set delegates the zone: owned only when a desired entry names it.
    if (s.type === "NS" && s.name === zone) return want.has(rrsetKey(s)) ? "listed" : undefined;
    if (input.desired.kind === "edits") return want.has(rrsetKey(s)) || deletes.has(rrsetKey(s)) ? "listed" : undefined;
    if (fileNames.has(s.name)) return "listed";
    const i = patterns.findIndex((re) => re.test(s.name));
    return i >= 0 ? `dns.owned pattern ${input.owned[i]}` : undefined;
  };

  const changes: Change[] = [];
  const untouched: Untouched[] = [];
  let inSync = 0;
  for (const [key, w] of want) {
    const before = live.get(key);
    if (before?.unmanaged) {
      problems.push({
        source: w.source,
        message: `${w.rrset.name} ${w.rrset.type} exists as ${before.unmanaged}, which opsctl does not change`,
        check: "dns.unmanaged",
      });
      continue;
    }
    if (!before) changes.push({ op: "create", name: w.rrset.name, type: w.rrset.type, after: w.rrset, source: w.source, why: `${w.source} wants it; absent` });
    else if (!sameRRset(before, w.rrset))
      changes.push({ op: "update", name: w.rrset.name, type: w.rrset.type, before, after: w.rrset, source: w.source, why: `${w.source} differs from live` });
    else inSync++;
  }
  const fileList = input.desired.kind === "file" ? input.desired.files.join(", ") : "";
  for (const [key, s] of live) {
    if (want.has(key)) continue;
    const del = deletes.get(key);
    if (del) {
      if (s.unmanaged)
        problems.push({ source: del.source, message: `${s.name} ${s.type} is ${s.unmanaged}, which opsctl does not change`, check: "dns.unmanaged" });
      else changes.push({ op: "delete", name: s.name, type: s.type, before: s, source: del.source, why: `${del.source} asks to remove it` });
      continue;
    }
    const owner = s.unmanaged ? undefined : ownedBy(s);
    if (s.unmanaged) untouched.push({ rrset: s, reason: `${s.unmanaged}: opsctl does not change it`, category: "not-eligible" });
    else if (!owner)
      untouched.push({
        rrset: s,
        reason:
          s.type === "SOA" || (s.type === "NS" && s.name === zone)
            ? "zone apex SOA/NS: never changed unless listed"
            : "not owned: not in the desired state nor matching dns.owned",
        category: s.type === "SOA" || s.type === "NS" ? "protected" : "out-of-scope",
      });
    else if (input.desired.kind === "file" && input.desired.prune) {
      const why = owner === "listed" ? `name is in ${fileList}, type ${s.type} is not` : `owned by ${owner}, not in ${fileList}`;
      changes.push({ op: "delete", name: s.name, type: s.type, before: s, source: "--prune", why: `--prune: ${why}` });
    } else
      untouched.push({
        rrset: s,
        reason: `owned (${owner === "listed" ? "name is listed" : owner}) but not in the desired state: deleted only with --prune`,
        category: "excluded",
      });
  }

  problems.push(...cnameConflicts(zone, live, changes, new Set(want.keys())));
  changes.sort((a, b) => (a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name)));
  return { changes, untouched, inSync, problems };
}

/** A CNAME never at the apex, never beside another type at the same name (in the zone as it would be). */
function cnameConflicts(zone: string, live: Map<string, LiveRRset>, changes: Change[], wanted: Set<string>): ZoneProblem[] {
  const after = new Map(live);
  for (const c of changes) {
    const key = rrsetKey(c);
    if (c.op === "delete") after.delete(key);
    else after.set(key, c.after as RRset);
  }
  const byName = new Map<string, string[]>();
  for (const s of after.values()) byName.set(s.name, [...(byName.get(s.name) ?? []), s.type]);
  const out: ZoneProblem[] = [];
  const source = (name: string, type: string) => changes.find((c) => c.name === name && c.type === type)?.source ?? "live zone";
  for (const [name, types] of byName) {
    if (!types.includes("CNAME")) continue;
    const touched = types.some((t) => wanted.has(rrsetKey({ name, type: t })));
    if (!touched) continue;
    if (name === zone) out.push({ source: source(name, "CNAME"), message: `${name} CNAME: a CNAME cannot be at the zone apex`, check: "dns.cname" });
    const others = types.filter((t) => t !== "CNAME").sort();
    if (others.length)
      out.push({
        source: source(name, "CNAME"),
        message: `${name} CNAME cannot sit beside other record types at the same name (${others.join(", ")})`,
        check: "dns.cname",
      });
  }
  return out;
}

function globToRegExp(pattern: string, zone: string): RegExp {
  const p = pattern.trim().toLowerCase();
  const abs = p === "@" ? zone : p.endsWith(".") ? p : `${p}.${zone}`;
  return new RegExp(`^${abs.split("*").map(escapeRe).join(".*")}$`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface Threshold {
  status: "passed" | "failed" | "warning";
  detail: string;
}

/**
 * octodns's "unsafe plan" rule with a tunable percentage: updates and deletes (creates
 * risk nothing already served) against the zone's record sets, applied only to zones of
 * at least 10 record sets, where a few changes are not yet a large share.
 */
export function threshold(zone: string, zoneSize: number, changes: Change[], maxPercent: number, allowLarge: boolean): Threshold {
  const risky = changes.filter((c) => c.op !== "create").length;
  const pct = zoneSize ? (risky * 100) / zoneSize : 0;
  const shown = `${risky} update(s)/delete(s) of ${zoneSize} record sets in ${zone} (${pct.toFixed(1)}%)`;
  if (zoneSize < 10) return { status: "passed", detail: `${shown}; zones under 10 record sets have no threshold` };
  if (pct <= maxPercent) return { status: "passed", detail: `${shown} <= dns.maxChangePercent ${maxPercent}%` };
  if (allowLarge) return { status: "warning", detail: `${shown} > dns.maxChangePercent ${maxPercent}%, allowed by --allow-large-change` };
  return { status: "failed", detail: `${shown} > dns.maxChangePercent ${maxPercent}%: review it and pass --allow-large-change, or raise dns.maxChangePercent` };
}
