// Probe queries and their expected ranges: `--probe SQL --expect-range MIN:MAX`, paired
// in order, or `verifyBackup.probes: [{ sql, expect }]` in config.

export interface Probe {
  sql: string;
  min: number;
  max: number;
  /** As typed, for the plan and the evidence. */
  expect: string;
}

export interface ProbeResult {
  sql: string;
  expect: string;
  value: number | null;
  ok: boolean;
  detail: string;
}

const NUMBER = "-?(?:\\d+(?:\\.\\d+)?|\\.\\d+)(?:[eE][-+]?\\d+)?";
const RANGE = new RegExp(`^(${NUMBER})?:(${NUMBER})?$`);

/** MIN:MAX, MIN: or :MAX (open ends); MIN ≤ MAX. */
export function parseRange(text: string): { min: number; max: number } | string {
  const m = RANGE.exec(text.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) return `'${text}' is not a range: expected MIN:MAX, MIN: or :MAX (numbers)`;
  const min = m[1] === undefined ? Number.NEGATIVE_INFINITY : Number(m[1]);
  const max = m[2] === undefined ? Number.POSITIVE_INFINITY : Number(m[2]);
  if (min > max) return `range '${text}' is empty (MIN > MAX)`;
  return { min, max };
}

/** Pairs probes with ranges; every mismatch or bad range is reported at once. */
export function pairProbes(sqls: string[], ranges: string[]): { probes: Probe[]; problems: string[] } {
  const problems: string[] = [];
  if (sqls.length !== ranges.length) {
    problems.push(`each --probe needs one --expect-range (got ${sqls.length} probe(s) and ${ranges.length} range(s))`);
  }
  const probes: Probe[] = [];
  sqls.forEach((sql, i) => {
    const range = ranges[i];
    if (!sql.trim()) problems.push(`probe ${i + 1} is empty`);
    if (range === undefined) return;
    const r = parseRange(range);
    if (typeof r === "string") problems.push(`probe ${i + 1}: ${r}`);
    else probes.push({ sql, expect: range, ...r });
  });
  return { probes, problems };
}

/** A probe's single value against its range. Non-numeric or missing values fail with what came back. */
export function judgeProbe(p: Probe, raw: unknown): ProbeResult {
  const base = { sql: p.sql, expect: p.expect };
  if (raw === undefined) return { ...base, value: null, ok: false, detail: "the query returned no rows" };
  const value = typeof raw === "number" ? raw : typeof raw === "bigint" ? Number(raw) : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value))
    return { ...base, value: null, ok: false, detail: `the query returned ${JSON.stringify(String(raw)).slice(0, 60)}, not a number` };
  const ok = value >= p.min && value <= p.max;
  return { ...base, value, ok, detail: `${value} ${ok ? "within" : "outside"} ${p.expect}` };
}
