import type { Problem } from "../../core/errors.ts";
import type { DesiredEntry } from "./desired.ts";

// One-off edits from flags:
//   --set 'NAME TYPE TTL VALUE…'   replaces the record set NAME TYPE with these values
//   --delete 'NAME TYPE'           removes it
// Values are separated by spaces; MX takes two fields per value, SRV four, CAA three;
// a value containing spaces is quoted ("v=spf1 -all"). Only the shape is checked here
// (exit 2); whether each value is valid for its type is a plan check, as for the file.

export interface DeleteEdit {
  name: string;
  type: string;
  source: string;
}

const FIELDS: Record<string, number> = { MX: 2, SRV: 4, CAA: 3 };

export function parseSet(raw: string): { entry: DesiredEntry } | { problem: Problem } {
  const source = `--set '${raw}'`;
  const bad = (message: string) => ({ problem: { message: `${source}: ${message}`, source: { kind: "flag" as const, name: "--set" } } });
  const tokens = tokenize(raw);
  if ("error" in tokens) return bad(tokens.error);
  const [name, typeRaw, ttlRaw, ...rest] = tokens.value;
  if (!name || !typeRaw || !ttlRaw || rest.length === 0) return bad("expected 'NAME TYPE TTL VALUE…', e.g. 'www A 300 192.0.2.10'");
  const type = typeRaw.toUpperCase();
  if (!/^[A-Z0-9]+$/.test(type)) return bad(`'${typeRaw}' is not a record type`);
  if (!/^\d+$/.test(ttlRaw)) return bad(`TTL '${ttlRaw}' is not a whole number of seconds`);
  const width = FIELDS[type] ?? 1;
  if (rest.length % width !== 0) return bad(`each ${type} value has ${width} fields, got ${rest.length} field(s)`);
  const values: string[] = [];
  for (let i = 0; i < rest.length; i += width) values.push(rest.slice(i, i + width).join(" "));
  // A TXT value given in quotes is the text itself; the canonical form re-quotes it.
  const text = type === "TXT" ? values.map((v) => (v.startsWith('"') && v.endsWith('"') ? unbackslash(v.slice(1, -1)) : v)) : values;
  return { entry: { name, type, ttl: Number(ttlRaw), values: text, source, line: 0 } };
}

export function parseDelete(raw: string): { edit: DeleteEdit } | { problem: Problem } {
  const source = `--delete '${raw}'`;
  const parts = raw.trim().split(/\s+/);
  if (parts.length !== 2 || !/^[A-Za-z0-9]+$/.test(parts[1] as string)) {
    return { problem: { message: `${source}: expected 'NAME TYPE', e.g. 'old A'`, source: { kind: "flag", name: "--delete" } } };
  }
  return { edit: { name: parts[0] as string, type: (parts[1] as string).toUpperCase(), source } };
}

/** Splits on spaces; a double-quoted run is one token (quotes kept, so CAA and TXT keep them). */
function tokenize(raw: string): { value: string[] } | { error: string } {
  const out: string[] = [];
  let i = 0;
  while (i < raw.length) {
    if (/\s/.test(raw[i] as string)) {
      i++;
      continue;
    }
    let tok = "";
    while (i < raw.length && !/\s/.test(raw[i] as string)) {
      if (raw[i] === '"') {
        const start = i++;
        while (i < raw.length && raw[i] !== '"') i += raw[i] === "\\" ? 2 : 1;
        if (i >= raw.length) return { error: "unterminated quote" };
        tok += raw.slice(start, ++i);
      } else tok += raw[i++];
    }
    out.push(tok);
  }
  return { value: out };
}

function unbackslash(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}
