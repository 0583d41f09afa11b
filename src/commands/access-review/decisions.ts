import { canonicalJson, sha256 } from "../../core/canonical.ts";
import { CsvSyntaxError, parseCsv, toCsv } from "../../core/csv.ts";
import type { Population } from "./population.ts";
import { populationDigest, type Review } from "./review.ts";

/**
 * The reviewer's worksheet: one row per credential (access key or console password),
 * and one per user that has neither, so the whole population is on the sheet. Every row
 * repeats the review's account, as-of time and population digest (rows survive sorting
 * in a spreadsheet) and carries a digest of its own reviewed columns, so an edit outside
 * `decision` and `justification` is caught. The digests detect mistakes, not forgery:
 * anyone can recompute them.
 */
export interface DecisionRow {
  account: string;
  asOf: string;
  populationDigest: string;
  user: string;
  credential: "access-key" | "console-password" | "none";
  accessKeyId: string;
  status: string;
  created: string;
  lastUsed: string;
  lastUsedService: string;
  lastUsedRegion: string;
  mfa: string;
  groups: string;
  policies: string;
  findings: string;
  exclusion: string;
  rowDigest: string;
  decision: string;
  justification: string;
}

export type Decision = "keep" | "revoke";

const FIELDS = [
  "account",
  "asOf",
  "populationDigest",
  "user",
  "credential",
  "accessKeyId",
  "status",
  "created",
  "lastUsed",
  "lastUsedService",
  "lastUsedRegion",
  "mfa",
  "groups",
  "policies",
  "findings",
  "exclusion",
  "rowDigest",
  "decision",
  "justification",
] as const satisfies readonly (keyof DecisionRow)[];

const snake = (f: string) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const CSV_HEADER = FIELDS.map(snake);

export function decisionRows(p: Population, r: Review): DecisionRow[] {
  const findingsOf = (id: string) =>
    r.findings
      .filter((f) => f.id === id)
      .flatMap((f) => f.reasons.map((x) => `${x.code}: ${x.summary}`))
      .join("; ");
  const rows: DecisionRow[] = [];
  for (const u of p.users) {
    const base = {
      account: p.account,
      asOf: p.asOf,
      populationDigest: r.populationDigest,
      user: u.name,
      mfa: u.mfaDevices.length ? "yes" : "no",
      groups: u.groups.join(" "),
      policies: [...u.managedPolicies, ...u.inlinePolicies.map((n) => `inline:${n}`)].join(" "),
      exclusion: r.exclusions
        .filter((e) => e.user === u.name)
        .map((e) => `${e.rule} (${e.source})`)
        .join("; "),
      decision: "",
      justification: "",
    };
    const userFindings = findingsOf(`user:${u.name}`);
    const withUser = (own: string) => [own, userFindings].filter(Boolean).join("; ");
    for (const k of u.keys) {
      rows.push(
        seal({
          ...base,
          credential: "access-key",
          accessKeyId: k.id,
          status: k.status,
          created: k.created,
          lastUsed: k.lastUsed ?? "",
          lastUsedService: k.lastUsedService ?? "",
          lastUsedRegion: k.lastUsedRegion ?? "",
          findings: withUser(findingsOf(`key:${k.id}`)),
        }),
      );
    }
    if (u.password) {
      rows.push(
        seal({
          ...base,
          credential: "console-password",
          accessKeyId: "",
          status: "enabled",
          created: u.password.created,
          lastUsed: u.password.lastUsed ?? "",
          lastUsedService: "",
          lastUsedRegion: "",
          findings: withUser(findingsOf(`password:${u.name}`)),
        }),
      );
    }
    if (!u.keys.length && !u.password) {
      rows.push(
        seal({
          ...base,
          credential: "none",
          accessKeyId: "",
          status: "",
          created: u.created,
          lastUsed: "",
          lastUsedService: "",
          lastUsedRegion: "",
          findings: userFindings,
        }),
      );
    }
  }
  return rows;
}

export function rowsToCsv(rows: DecisionRow[]): string {
  return toCsv(
    CSV_HEADER,
    rows.map((r) => FIELDS.map((f) => r[f])),
  );
}

function seal(r: Omit<DecisionRow, "rowDigest">): DecisionRow {
  return { ...r, rowDigest: rowDigest(r) };
}

const SEALED = FIELDS.filter((f) => f !== "decision" && f !== "justification" && f !== "rowDigest");

/** Over the reviewed columns only: the reviewer fills in decision and justification. */
function rowDigest(r: Omit<DecisionRow, "rowDigest">): string {
  return sha256(canonicalJson(SEALED.map((f) => r[f]))).slice(0, 16);
}

// ---------------------------------------------------------------------------- reading

export interface Problem {
  /** usage: the file is malformed or names what the review did not contain (exit 2); validation: stale or edited (exit 3). */
  kind: "usage" | "validation";
  message: string;
}

export interface ReadRow extends DecisionRow {
  /** Line (CSV) or 1-based index (JSON) the row came from, for messages. */
  line: number;
}

export interface DecisionsFile {
  account: string;
  asOf: string;
  populationDigest: string;
  rows: ReadRow[];
}

/** Parses a CSV or JSON decisions file; every problem is reported, not only the first. */
export function readDecisions(text: string, file: string): { file?: DecisionsFile; problems: Problem[] } {
  const problems: Problem[] = [];
  const usage = (message: string) => problems.push({ kind: "usage", message: `${file}: ${message}` });
  let rows: ReadRow[];
  try {
    rows = /^\s*[[{]/.test(text) ? fromJson(text) : fromCsv(text);
  } catch (e) {
    usage(e instanceof CsvSyntaxError ? `line ${e.line}: ${e.message}` : (e as Error).message);
    return { problems };
  }
  if (!rows.length) {
    usage("has no rows (expected the CSV or JSON written by `opsctl access-review --format csv|json`)");
    return { problems };
  }
  for (const r of rows) {
    const d = r.decision.trim().toLowerCase();
    if (d !== "" && d !== "keep" && d !== "revoke") usage(`line ${r.line}: decision must be keep, revoke or empty, not '${r.decision}'`);
    if (d === "revoke" && r.credential === "none") usage(`line ${r.line}: user ${r.user} has no credential to revoke (access-revoke never deletes users)`);
    if (r.credential === "access-key" && !r.accessKeyId) usage(`line ${r.line}: an access-key row needs its access_key_id`);
    r.decision = d;
  }
  const seen = new Map<string, ReadRow>();
  for (const r of rows) {
    const key = `${r.user}\u0000${r.credential}\u0000${r.accessKeyId}`;
    const prev = seen.get(key);
    if (prev && prev.decision !== r.decision) usage(`lines ${prev.line} and ${r.line} decide ${describe(r)} differently`);
    seen.set(key, r);
  }
  const first = rows[0] as ReadRow;
  for (const f of ["account", "asOf", "populationDigest"] as const) {
    const odd = rows.find((r) => r[f] !== first[f]);
    if (odd)
      problems.push({
        kind: "validation",
        message: `${file}: line ${odd.line}: ${snake(f)} '${odd[f]}' differs from line ${first.line} ('${first[f]}'): the rows come from different reviews or were edited`,
      });
  }
  return { file: { account: first.account, asOf: first.asOf, populationDigest: first.populationDigest, rows }, problems };
}

/**
 * Checks a decisions file against the account as it is now: the population must be the
 * reviewed one (exit 3 if users or keys were added or removed since), every row must
 * name a credential of that population (exit 2), and no reviewed column may have been
 * edited (exit 3).
 */
export function checkAgainst(f: DecisionsFile, live: Pick<Population, "account" | "users">, file: string): Problem[] {
  const problems: Problem[] = [];
  if (live.account && f.account && live.account !== f.account) {
    return [{ kind: "validation", message: `${file} reviews account ${f.account}, but the credentials belong to account ${live.account}` }];
  }
  const digest = populationDigest(live);
  if (digest !== f.populationDigest) {
    const liveKeys = new Set(live.users.flatMap((u) => [u.name, ...u.keys.map((k) => k.id)]));
    const fileKeys = new Set(f.rows.flatMap((r) => [r.user, r.accessKeyId].filter(Boolean)));
    const added = [...liveKeys].filter((k) => !fileKeys.has(k));
    const gone = [...fileKeys].filter((k) => !liveKeys.has(k));
    const diff = [added.length ? `new since: ${added.join(", ")}` : "", gone.length ? `gone since: ${gone.join(", ")}` : ""].filter(Boolean).join("; ");
    return [
      {
        kind: "validation",
        message: `${file}: the account's users and keys changed since the review of ${f.asOf} (population ${f.populationDigest}, now ${digest})${diff ? `: ${diff}` : ""}; run access-review again`,
      },
    ];
  }
  const users = new Map(live.users.map((u) => [u.name, u]));
  for (const r of f.rows) {
    const u = users.get(r.user);
    const known =
      u &&
      (r.credential === "access-key"
        ? u.keys.some((k) => k.id === r.accessKeyId)
        : r.credential === "console-password"
          ? Boolean(u.password)
          : r.credential === "none");
    if (!known) {
      problems.push({ kind: "usage", message: `${file}: line ${r.line}: ${describe(r)} was not in the review of ${f.asOf}` });
      continue;
    }
    if (rowDigest(r) !== r.rowDigest) {
      problems.push({
        kind: "validation",
        message: `${file}: line ${r.line}: ${describe(r)} was edited outside the decision and justification columns (row digest mismatch)`,
      });
    }
  }
  return problems;
}

export function describe(r: Pick<DecisionRow, "user" | "credential" | "accessKeyId">): string {
  return r.credential === "access-key"
    ? `access key ${r.accessKeyId} of ${r.user}`
    : r.credential === "console-password"
      ? `console password of ${r.user}`
      : `user ${r.user}`;
}

function fromCsv(text: string): ReadRow[] {
  const records = parseCsv(text);
  const header = records[0]?.fields.map((h) => h.trim()) ?? [];
  const missing = CSV_HEADER.filter((h) => !header.includes(h));
  if (missing.length) throw new Error(`missing column(s) ${missing.join(", ")} (expected the CSV written by \`opsctl access-review --format csv\`)`);
  return records.slice(1).map(({ fields, line }) => {
    const row = Object.fromEntries(FIELDS.map((f, i) => [f, fields[header.indexOf(CSV_HEADER[i] as string)] ?? ""]));
    return { ...(row as unknown as DecisionRow), line };
  });
}

function fromJson(text: string): ReadRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`is not valid JSON (${(e as Error).message})`);
  }
  const rows = findRows(doc);
  if (!rows) throw new Error("has no `rows` array (expected the JSON written by `opsctl access-review --format json`)");
  return rows.map((r, i) => {
    if (!r || typeof r !== "object") throw new Error(`rows[${i}] is not an object`);
    const o = r as Record<string, unknown>;
    const row = Object.fromEntries(FIELDS.map((f) => [f, o[f] === undefined || o[f] === null ? "" : String(o[f])]));
    return { ...(row as unknown as DecisionRow), line: i + 1 };
  });
}

/** The rows array of a bare list, `{ rows }`, or the review's JSON envelope (one or two levels down). */
function findRows(doc: unknown, depth = 0): unknown[] | undefined {
  if (Array.isArray(doc)) return doc;
  if (!doc || typeof doc !== "object" || depth > 2) return undefined;
  const o = doc as Record<string, unknown>;
  if (Array.isArray(o.rows)) return o.rows;
  for (const v of Object.values(o)) {
    const found = v && typeof v === "object" && !Array.isArray(v) ? findRows(v, depth + 1) : undefined;
    if (found) return found;
  }
  return undefined;
}
