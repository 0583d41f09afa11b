import type { Problem } from "../../core/errors.ts";

// The desired-state file: YAML or JSON (JSON is read by the same YAML 1.2 parser, which
// accepts it), with the line of every key kept so that each problem names file, line
// and key. confbox (c12's parser) gives line numbers only for syntax errors, not for a
// key whose value is wrong, hence the `yaml` package, loaded only when a file is read.
//
//   zone: example.com.          # optional when exactly one --zone is given
//   records:
//     - name: www               # relative to the zone, "@" for the apex, or absolute ("www.example.com.")
//       type: A
//       ttl: 300
//       values: [192.0.2.10]    # or value: 192.0.2.10

export interface DesiredEntry {
  /** As written (qualified later against the zone). */
  name: string;
  type: string;
  ttl: number;
  values: string[];
  /** "file:line" of the entry, the reason recorded in the plan. */
  source: string;
  line: number;
}

export interface DesiredFile {
  file: string;
  zone?: string;
  entries: DesiredEntry[];
}

const TOP_KEYS = new Set(["zone", "records"]);
const RECORD_KEYS = new Set(["name", "type", "ttl", "value", "values"]);

/** Parses one file; every problem found is returned at once (exit 2), each naming file, line and key. */
export async function parseDesired(text: string, file: string): Promise<{ desired: DesiredFile } | { problems: Problem[] }> {
  const { LineCounter, parseDocument, isMap, isSeq, isScalar } = await import("yaml");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => lc.linePos(offset ?? 0).line;
  const problems: Problem[] = [];
  const problem = (line: number, key: string, message: string) =>
    problems.push({ message: `${file}:${line}: ${key}: ${message}`, source: { kind: "file", name: `${file}:${line}`, key } });

  if (doc.errors.length) {
    for (const e of doc.errors) problem(at(e.pos[0]), "(syntax)", `${e.message.split("\n")[0]} (${e.code})`);
    return { problems };
  }
  const root = doc.contents;
  if (!isMap(root)) {
    problem(at(root?.range?.[0]), "(document)", "expected a mapping with 'records' (and optionally 'zone')");
    return { problems };
  }
  let zone: string | undefined;
  let records: unknown;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "?";
    const line = at((pair.key as { range?: number[] })?.range?.[0]);
    if (!TOP_KEYS.has(key)) problem(line, key, "unknown key (expected zone, records)");
    else if (key === "zone") {
      if (isScalar(pair.value) && typeof pair.value.value === "string" && pair.value.value.trim()) zone = pair.value.value.trim();
      else problem(line, "zone", "must be a zone name, e.g. example.com.");
    } else records = pair.value;
  }
  if (records === undefined) problem(at(root.range?.[0]), "records", "missing: list the record sets this file owns");
  else if (!isSeq(records)) problem(at((records as { range?: number[] })?.range?.[0]), "records", "must be a list of record sets");

  const entries: DesiredEntry[] = [];
  if (isSeq(records)) {
    for (const [i, item] of records.items.entries()) {
      const base = `records[${i}]`;
      const line = at((item as { range?: number[] })?.range?.[0]);
      if (!isMap(item)) {
        problem(line, base, "must be a mapping with name, type, ttl and values");
        continue;
      }
      const fields: Record<string, { value: unknown; line: number; node: unknown }> = {};
      for (const pair of item.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "?";
        const kline = at((pair.key as { range?: number[] })?.range?.[0]);
        if (!RECORD_KEYS.has(key)) problem(kline, `${base}.${key}`, "unknown key (expected name, type, ttl, values)");
        else fields[key] = { value: isScalar(pair.value) ? pair.value.value : pair.value, line: kline, node: pair.value };
      }
      const ok = { name: "", type: "", ttl: 0, values: [] as string[] };
      let bad = false;
      const fail = (key: string, l: number, msg: string) => {
        bad = true;
        problem(l, `${base}.${key}`, msg);
      };
      const name = fields.name;
      if (!name) fail("name", line, 'missing ("@" for the zone apex)');
      else if (typeof name.value !== "string" || !name.value.trim()) fail("name", name.line, "must be a record name, e.g. www or @");
      else ok.name = name.value.trim();
      const type = fields.type;
      if (!type) fail("type", line, "missing (A, AAAA, CNAME, TXT, MX, SRV, CAA or NS)");
      else if (typeof type.value !== "string" || !/^[A-Za-z0-9]+$/.test(type.value)) fail("type", type.line, "must be a record type such as A or TXT");
      else ok.type = type.value.toUpperCase();
      const ttl = fields.ttl;
      if (!ttl) fail("ttl", line, "missing: TTL in seconds");
      else if (typeof ttl.value !== "number" || !Number.isInteger(ttl.value) || ttl.value < 0)
        fail("ttl", ttl.line, `must be a whole number of seconds, got ${JSON.stringify(ttl.value instanceof Object ? "(a collection)" : ttl.value)}`);
      else ok.ttl = ttl.value;
      if (fields.value && fields.values) fail("values", fields.values.line, "give either value or values, not both");
      else if (fields.value) {
        const v = fields.value.value;
        if (typeof v === "string" || typeof v === "number") ok.values = [String(v)];
        else fail("value", fields.value.line, "must be a single value; use values: [...] for several");
      } else if (fields.values) {
        const node = fields.values.node;
        if (!isSeq(node) || node.items.length === 0) fail("values", fields.values.line, "must be a non-empty list");
        else
          for (const [j, x] of node.items.entries()) {
            if (isScalar(x) && (typeof x.value === "string" || typeof x.value === "number")) ok.values.push(String(x.value));
            else fail(`values[${j}]`, at((x as { range?: number[] })?.range?.[0]), "must be a string");
          }
      } else fail("values", line, "missing: the record set's values");
      if (!bad) entries.push({ ...ok, source: `${file}:${line}`, line });
    }
  }
  if (problems.length) return { problems };
  return { desired: { file, ...(zone ? { zone } : {}), entries } };
}
