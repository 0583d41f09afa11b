import { describe, expect, test } from "bun:test";
import { checkAgainst, decisionRows, readDecisions, rowsToCsv } from "../../src/commands/access-review/decisions.ts";
import { type Criteria, review } from "../../src/commands/access-review/review.ts";
import { parseCsv, toCsv } from "../../src/core/csv.ts";
import { FIXTURE_NOW, fixturePopulation } from "../support/iam-population.ts";

const DAY = 86_400_000;
const criteria = (o: Partial<Criteria> = {}): Criteria => ({
  now: FIXTURE_NOW,
  staleAfter: { ms: 90 * DAY, text: "90d" },
  newKeyGrace: { ms: 7 * DAY, text: "7d" },
  rotateAfter: { ms: 365 * DAY, text: "365d" },
  exemptUsers: { names: ["frank"], source: "accessReview.exemptUsers (opsctl.config.yaml)" },
  exemptTags: { tags: [["opsctl:access-review", "exempt"]], source: "accessReview.exemptTags (default)" },
  ...o,
});

const codes = (r: ReturnType<typeof review>) => Object.fromEntries(r.findings.map((f) => [f.id, f.reasons.map((x) => x.code)]));

describe("access-review findings", () => {
  test("one finding per key, password or user, each with every reason", () => {
    expect(codes(review(fixturePopulation(), criteria()))).toEqual({
      "key:AKIABOBSTALE00000001": ["key-stale"],
      "key:AKIACAROLNEVER000001": ["key-never-used"],
      "key:AKIADAVESTALE0000002": ["key-stale"],
      "user:dave": ["two-active-keys"],
      "password:grace": ["console-no-mfa"],
      "user:ivan": ["user-inactive"],
      "user:carol": ["user-inactive"],
    });
  });

  test("keys younger than the grace are never findings, even never used; a second young key is rotation, not two keys", () => {
    const p = fixturePopulation();
    const dave = p.users.find((u) => u.name === "dave");
    dave?.keys.push({ id: "AKIADAVENEWKEY000003", status: "Active", created: new Date(FIXTURE_NOW.getTime() - DAY).toISOString() });
    const r = review(p, criteria());
    expect(r.findings.some((f) => f.accessKeyId === "AKIAALICEFRESH000001" || f.accessKeyId === "AKIADAVENEWKEY000003")).toBe(false);
    expect(codes(r)["user:dave"]).toBeUndefined();
  });

  test("exclusions list their rule and source, and exempt users have no findings", () => {
    const r = review(fixturePopulation(), criteria());
    expect(r.exclusions).toEqual([
      { user: "erin", rule: "tag opsctl:access-review=exempt", source: "accessReview.exemptTags (default)" },
      { user: "frank", rule: "user name frank", source: "accessReview.exemptUsers (opsctl.config.yaml)" },
    ]);
    expect(r.findings.some((f) => f.user === "erin" || f.user === "frank")).toBe(false);
  });

  test("evidence says where the last use came from and the thresholds applied", () => {
    const bob = review(fixturePopulation(), criteria()).findings.find((f) => f.id === "key:AKIABOBSTALE00000001");
    expect(bob?.reasons[0]?.summary).toBe("last used 2026-07-31 (s3 in eu-west-1), 120 days ago > 90d");
    expect(bob?.reasons[0]?.evidence).toMatchObject({ source: "GetAccessKeyLastUsed", daysUnused: 120, staleAfter: "90d" });
  });

  test("rotation age and stale passwords are findings when past their thresholds", () => {
    const r = review(fixturePopulation(), criteria({ rotateAfter: { ms: 250 * DAY, text: "250d" }, staleAfter: { ms: 2 * DAY, text: "2d" } }));
    expect(codes(r)["key:AKIADAVESTALE0000002"]).toEqual(["key-stale", "key-rotation"]);
    expect(codes(r)["password:grace"]).toEqual(["console-no-mfa", "password-stale"]);
    expect(codes(r)["password:heidi"]).toEqual(["password-stale"]);
  });

  test("inactive keys are in the population but never findings", () => {
    expect(review(fixturePopulation(), criteria()).findings.some((f) => f.user === "judy")).toBe(false);
  });

  test("digests: equal for the same account, the review digest moves with last use, the population digest only with users and keys", () => {
    const a = review(fixturePopulation(), criteria());
    const b = review(fixturePopulation(), criteria({ now: new Date(FIXTURE_NOW.getTime() + 3600_000) }));
    expect(b.digest).toBe(a.digest);
    expect(b.populationDigest).toBe(a.populationDigest);
    const used = fixturePopulation();
    (used.users[1]?.keys[0] as { lastUsed?: string }).lastUsed = FIXTURE_NOW.toISOString();
    const c = review(used, criteria());
    expect(c.digest).not.toBe(a.digest);
    expect(c.populationDigest).toBe(a.populationDigest);
    const added = fixturePopulation();
    added.users[0]?.keys.push({ id: "AKIAALICESECOND00002", status: "Active", created: FIXTURE_NOW.toISOString() });
    expect(review(added, criteria()).populationDigest).not.toBe(a.populationDigest);
  });
});

describe("decisions file", () => {
  const p = fixturePopulation();
  const r = review(p, criteria());
  const rows = decisionRows(p, r);
  const csv = rowsToCsv(rows);
  const decide = (text: string, edits: Record<string, [string, string]>) => {
    const recs = parseCsv(text);
    const header = recs[0]?.fields ?? [];
    const di = header.indexOf("decision");
    const ji = header.indexOf("justification");
    const ki = header.indexOf("access_key_id");
    return toCsv(
      header,
      recs.slice(1).map(({ fields }) => {
        const e = edits[fields[ki] as string];
        if (e) [fields[di], fields[ji]] = e;
        return fields;
      }),
    );
  };

  test("one row per key and console password, one per user without either; all rows carry the review", () => {
    expect(rows.map((x) => `${x.user}/${x.credential}/${x.accessKeyId}`)).toEqual([
      "alice/access-key/AKIAALICEFRESH000001",
      "bob/access-key/AKIABOBSTALE00000001",
      "carol/access-key/AKIACAROLNEVER000001",
      "dave/access-key/AKIADAVEINUSE0000001",
      "dave/access-key/AKIADAVESTALE0000002",
      "erin/access-key/AKIAERINEXEMPT000001",
      "frank/access-key/AKIAFRANKBREAKGLASS1",
      "grace/console-password/",
      "heidi/console-password/",
      "ivan/none/",
      "judy/access-key/AKIAJUDYOLDOFF000001",
    ]);
    expect(new Set(rows.map((x) => x.populationDigest))).toEqual(new Set([r.populationDigest]));
    expect(rows.find((x) => x.accessKeyId === "AKIADAVESTALE0000002")?.findings).toContain("two-active-keys");
    expect(rows.find((x) => x.user === "erin")?.exclusion).toBe("tag opsctl:access-review=exempt (accessReview.exemptTags (default))");
  });

  test("round trip: decisions and justifications (with commas, quotes, newlines) come back; no problems", () => {
    const edited = decide(csv, {
      AKIABOBSTALE00000001: ["revoke", 'left in May, "confirmed"\nby HR'],
      AKIADAVEINUSE0000001: ["Keep", "=deploy pipeline"],
    });
    const { file, problems } = readDecisions(edited, "decisions.csv");
    expect(problems).toEqual([]);
    const bob = file?.rows.find((x) => x.accessKeyId === "AKIABOBSTALE00000001");
    expect(bob).toMatchObject({ decision: "revoke", justification: 'left in May, "confirmed"\nby HR', line: 3 });
    expect(file?.rows.find((x) => x.accessKeyId === "AKIADAVEINUSE0000001")).toMatchObject({ decision: "keep", justification: "=deploy pipeline" });
    expect(edited).toContain("'=deploy pipeline");
    expect(checkAgainst(file as NonNullable<typeof file>, p, "decisions.csv")).toEqual([]);
  });

  test("JSON: the rows of the review's envelope are read the same way", () => {
    const doc = {
      schema: "opsctl.result/v1",
      result: { review: { rows: rows.map((x) => (x.accessKeyId === "AKIABOBSTALE00000001" ? { ...x, decision: "revoke" } : x)) } },
    };
    const { file, problems } = readDecisions(JSON.stringify(doc), "d.json");
    expect(problems).toEqual([]);
    expect(file?.rows.filter((x) => x.decision === "revoke").map((x) => x.accessKeyId)).toEqual(["AKIABOBSTALE00000001"]);
  });

  test("bad decisions, conflicting duplicates and revoking a user without credentials are usage problems, all at once", () => {
    const bad = `${decide(csv, { AKIABOBSTALE00000001: ["delete", ""] }).replace(/\r\n$/, "")}\r\n${csv.split("\r\n")[2]?.replace(/,,$/, ",revoke,")}\r\n`;
    const { problems } = readDecisions(bad, "d.csv");
    expect(problems.map((x) => x.kind)).toEqual(["usage", "usage"]);
    expect(problems[0]?.message).toBe("d.csv: line 3: decision must be keep, revoke or empty, not 'delete'");
    expect(problems[1]?.message).toContain("decide access key AKIABOBSTALE00000001 of bob differently");
    const ivan = csv.replace(/(,ivan,none,[^\r]*),,\r\n/, "$1,revoke,gone\r\n");
    expect(readDecisions(ivan, "d.csv").problems.map((x) => x.message)).toEqual([
      "d.csv: line 11: user ivan has no credential to revoke (access-revoke never deletes users)",
    ]);
  });

  test("a row naming a key the review did not contain is usage (exit 2); an edited reviewed column is validation (exit 3)", () => {
    const forged = csv.replace("AKIACAROLNEVER000001", "AKIAFORGED0000000001");
    const f1 = readDecisions(forged, "d.csv").file as NonNullable<ReturnType<typeof readDecisions>["file"]>;
    expect(checkAgainst(f1, p, "d.csv")).toEqual([
      { kind: "usage", message: "d.csv: line 4: access key AKIAFORGED0000000001 of carol was not in the review of 2026-11-28T12:00:00.000Z" },
    ]);
    const edited = csv.replace("AKIABOBSTALE00000001,Active", "AKIABOBSTALE00000001,Inactive");
    const f2 = readDecisions(edited, "d.csv").file as NonNullable<ReturnType<typeof readDecisions>["file"]>;
    expect(checkAgainst(f2, p, "d.csv")).toEqual([
      {
        kind: "validation",
        message: "d.csv: line 3: access key AKIABOBSTALE00000001 of bob was edited outside the decision and justification columns (row digest mismatch)",
      },
    ]);
  });

  test("a population that changed since the review is refused (validation), naming what changed", () => {
    const now = fixturePopulation();
    now.users[0]?.keys.push({ id: "AKIAALICESECOND00002", status: "Active", created: FIXTURE_NOW.toISOString() });
    const f = readDecisions(csv, "d.csv").file as NonNullable<ReturnType<typeof readDecisions>["file"]>;
    const problems = checkAgainst(f, now, "d.csv");
    expect(problems.map((x) => x.kind)).toEqual(["validation"]);
    expect(problems[0]?.message).toContain("the account's users and keys changed since the review of 2026-11-28T12:00:00.000Z");
    expect(problems[0]?.message).toContain("new since: AKIAALICESECOND00002");
  });

  test("rows from different reviews are refused; a file that is not a review is usage", () => {
    const mixed = csv.replace(/(\r\n123456789012,)2026-11-28T12:00:00.000Z/, "$12026-11-27T12:00:00.000Z");
    expect(readDecisions(mixed, "d.csv").problems.map((x) => x.kind)).toEqual(["validation"]);
    expect(readDecisions("a,b\r\n1,2\r\n", "d.csv").problems[0]?.message).toContain("missing column(s) account, as_of");
    expect(readDecisions('"unterminated', "d.csv").problems[0]?.message).toBe("d.csv: line 1: a quoted field is not closed");
    expect(readDecisions("{", "d.json").problems[0]?.message).toContain("is not valid JSON");
  });
});
