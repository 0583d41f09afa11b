import { isIPv4, isIPv6 } from "node:net";

// Record sets in one canonical form, shared by the desired-state file, the flags and
// both zone providers, so that "already matches" is a plain string comparison.
// Values are in zone-file presentation form, the form Route 53 and PowerDNS store:
// names absolute and lower-case with a trailing dot, TXT as quoted strings, AAAA
// compressed (RFC 5952), CAA with a quoted value.

export const RECORD_TYPES = ["A", "AAAA", "CNAME", "TXT", "MX", "SRV", "CAA", "NS"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export interface RRset {
  /** Absolute, lower-case, trailing dot. */
  name: string;
  type: string;
  ttl: number;
  /** Canonical presentation form, sorted. */
  values: string[];
}

export function isRecordType(t: string): t is RecordType {
  return (RECORD_TYPES as readonly string[]).includes(t);
}

export function rrsetKey(s: { name: string; type: string }): string {
  return `${s.name} ${s.type}`;
}

/** Lower-case, trailing dot, Route 53's octal escape for `*` undone. */
export function canonicalName(name: string): string {
  const n = name.replace(/\\052/g, "*").toLowerCase();
  return n.endsWith(".") ? n : `${n}.`;
}

/**
 * A record name from a file or flag: "@" is the apex, a name ending in "." is absolute
 * (and must lie in the zone), anything else is relative to the zone.
 */
export function qualify(name: string, zone: string): { name: string } | { error: string } {
  const z = canonicalName(zone);
  const raw = name.trim();
  if (raw === "@" || raw === "") return { name: z };
  const n = raw.endsWith(".") ? canonicalName(raw) : canonicalName(`${raw}.${z}`);
  if (n !== z && !n.endsWith(`.${z}`)) return { error: `${raw} is not inside zone ${z}` };
  const bad = nameError(n);
  return bad ? { error: `${raw}: ${bad}` } : { name: n };
}

/** What is wrong with an absolute name (labels, length), or undefined; a leading `*` label is allowed. */
export function nameError(n: string): string | undefined {
  const labels = n.replace(/\.$/, "").split(".");
  for (const [i, l] of labels.entries()) {
    if (l === "*" && i === 0) continue;
    if (!/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l)) return `label '${l}' is not a valid DNS label`;
  }
  if (n.length > 254) return "longer than 253 characters";
  return undefined;
}

export type ValueResult = { value: string } | { error: string };

/** Checks one value of a type and returns its canonical form, or what is wrong with it. */
export function canonicalValue(type: string, raw: string): ValueResult {
  const v = raw.trim();
  switch (type) {
    case "A":
      return isIPv4(v) ? { value: v.split(".").map(Number).join(".") } : { error: `'${v}' is not an IPv4 address` };
    case "AAAA":
      return isIPv6(v) && !v.includes(".") ? { value: compressIPv6(v) } : { error: `'${v}' is not an IPv6 address` };
    case "CNAME":
    case "NS":
      return hostname(v, "a host name");
    case "MX": {
      const m = /^(\d+)\s+(\S+)$/.exec(v);
      if (!m) return { error: `'${v}' is not 'PRIORITY HOST' (e.g. '10 mail.example.com.')` };
      const prio = u16(m[1] as string, "priority");
      if ("error" in prio) return prio;
      const host = hostname(m[2] as string, "the mail host");
      return "error" in host ? host : { value: `${prio.value} ${host.value}` };
    }
    case "SRV": {
      const m = /^(\d+)\s+(\d+)\s+(\d+)\s+(\S+)$/.exec(v);
      if (!m) return { error: `'${v}' is not 'PRIORITY WEIGHT PORT TARGET' (e.g. '10 5 443 host.example.com.')` };
      const parts = [u16(m[1] as string, "priority"), u16(m[2] as string, "weight"), u16(m[3] as string, "port")];
      for (const p of parts) if ("error" in p) return p;
      const target = m[4] === "." ? { value: "." } : hostname(m[4] as string, "the target");
      return "error" in target ? target : { value: `${parts.map((p) => (p as { value: string }).value).join(" ")} ${target.value}` };
    }
    case "CAA": {
      const m = /^(\d+)\s+([A-Za-z0-9]+)\s+(.+)$/.exec(v);
      if (!m) return { error: `'${v}' is not 'FLAGS TAG VALUE' (e.g. '0 issue "letsencrypt.org"')` };
      const flags = Number(m[1]);
      if (flags > 255) return { error: `CAA flags ${m[1]} is not 0-255` };
      const tag = (m[2] as string).toLowerCase();
      const value = unquote(m[3] as string);
      if ("error" in value) return value;
      return { value: `${flags} ${tag} ${quote(value.value)}` };
    }
    case "TXT":
      return txtValue(v);
    default:
      return { error: `type ${type} is not supported (one of ${RECORD_TYPES.join(", ")})` };
  }
}

/**
 * TXT from a person: plain text, quoted when stored, split into 255-byte strings.
 * Already in presentation form (`"a" "b"`) it is kept as those strings.
 */
function txtValue(v: string): ValueResult {
  if (v.startsWith('"')) {
    const strings = parseQuotedStrings(v);
    if ("error" in strings) return strings;
    for (const s of strings.value) if (new TextEncoder().encode(s).length > 255) return { error: "a TXT string is longer than 255 bytes" };
    return { value: strings.value.map(quote).join(" ") };
  }
  if (v.length === 0) return { error: "a TXT value is empty" };
  const chunks: string[] = [];
  for (let rest = v; rest.length; rest = rest.slice(255)) chunks.push(rest.slice(0, 255));
  return { value: chunks.map(quote).join(" ") };
}

/** The text a TXT value carries (its strings joined), as a resolver hands it out. */
export function txtText(value: string): string {
  const r = parseQuotedStrings(value);
  return "error" in r ? value : r.value.join("");
}

function parseQuotedStrings(v: string): { value: string[] } | { error: string } {
  const out: string[] = [];
  let i = 0;
  while (i < v.length) {
    if (v[i] === " ") {
      i++;
      continue;
    }
    if (v[i] !== '"') return { error: `TXT value ${v} mixes quoted and unquoted text` };
    let s = "";
    i++;
    for (; i < v.length && v[i] !== '"'; i++) {
      if (v[i] === "\\" && i + 1 < v.length) {
        const d = /^\d{3}/.exec(v.slice(i + 1));
        if (d) {
          s += String.fromCharCode(Number(d[0]));
          i += 3;
        } else s += v[++i];
      } else s += v[i];
    }
    if (v[i] !== '"') return { error: `TXT value ${v} has an unterminated quote` };
    i++;
    out.push(s);
  }
  return { value: out };
}

function unquote(v: string): { value: string } | { error: string } {
  if (!v.startsWith('"')) return { value: v };
  const r = parseQuotedStrings(v);
  if ("error" in r) return r;
  return r.value.length === 1 ? { value: r.value[0] as string } : { error: `${v} must be one quoted string` };
}

export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, "\\$1")}"`;
}

function u16(s: string, what: string): { value: string } | { error: string } {
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? { value: String(n) } : { error: `${what} ${s} is not 0-65535` };
}

function hostname(v: string, what: string): ValueResult {
  const n = canonicalName(v);
  const labels = n.slice(0, -1).split(".");
  if (n === "." || labels.some((l) => !/^[a-z0-9_*]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l)) || n.length > 254)
    return { error: `'${v}' is not ${what} (e.g. host.example.com.)` };
  return { value: n };
}

/** RFC 5952: lower case, leading zeros dropped, the longest run of zero groups as "::". */
export function compressIPv6(v: string): string {
  const [head = "", tail] = v.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const g = groups.map((x) => x.replace(/^0+(?=.)/, ""));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (g[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === "0") j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return g.join(":");
  return `${g.slice(0, best.at).join(":")}::${g.slice(best.at + best.len).join(":")}`;
}

/** Values in canonical form, deduplicated and sorted, so two sets compare as strings. */
export function sortValues(values: string[]): string[] {
  return [...new Set(values)].sort();
}

export function sameRRset(a: RRset | undefined, b: RRset | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ttl === b.ttl && a.values.join("\n") === b.values.join("\n");
}

/** Values as a provider returned them, canonicalised the same way; unknown types pass through. */
export function canonicalProviderValues(type: string, values: string[]): string[] {
  return sortValues(
    values.map((x) => {
      const r = isRecordType(type) ? canonicalValue(type, x) : { value: x };
      return "value" in r ? r.value : x;
    }),
  );
}
