import { describe, expect, test } from "bun:test";
import { decisionRows, readDecisions, rowsToCsv } from "../../src/commands/access-review/decisions.ts";
import { review } from "../../src/commands/access-review/review.ts";
import { type LiveUser, quarantineTag, selectRevocations } from "../../src/commands/access-revoke/select.ts";
import { FIXTURE_NOW, fixturePopulation } from "../support/iam-population.ts";

const DAY = 86_400_000;
const p = fixturePopulation();
const r = review(p, {
  now: FIXTURE_NOW,
  staleAfter: { ms: 90 * DAY, text: "90d" },
  newKeyGrace: { ms: 7 * DAY, text: "7d" },
  rotateAfter: { ms: 365 * DAY, text: "365d" },
  exemptUsers: { names: [], source: "" },
  exemptTags: { tags: [], source: "" },
});

function file(decide: Record<string, string>) {
  const rows = decisionRows(p, r).map((x) => ({
    ...x,
    decision: decide[x.accessKeyId || x.user] ?? "",
    justification: decide[x.accessKeyId || x.user] ? "left the company" : "",
  }));
  return readDecisions(rowsToCsv(rows), "d.csv").file as NonNullable<ReturnType<typeof readDecisions>["file"]>;
}

function live(mut: (m: Map<string, LiveUser>) => void = () => {}): Map<string, LiveUser> {
  const m = new Map(
    p.users.map((u) => [
      u.name,
      { name: u.name, keys: u.keys.map((k) => ({ ...k })), ...(u.password ? { password: { ...u.password } } : {}), tags: { ...u.tags } },
    ]),
  );
  mut(m);
  return m;
}

const c = (now = FIXTURE_NOW) => ({ now, deleteAfter: { ms: 30 * DAY, text: "30d" }, decisionsFile: "d.csv" });

describe("access-revoke selection", () => {
  test("revoke disables the named key only (never the user's other key), and removes console access; keep and undecided are listed", () => {
    const { actions, skipped } = selectRevocations(file({ AKIADAVESTALE0000002: "revoke", grace: "revoke", AKIADAVEINUSE0000001: "keep" }), live(), c());
    expect(actions.map((a) => `${a.operation} ${a.resource.id} ${a.call.operation}`)).toEqual([
      "disable AKIADAVESTALE0000002 UpdateAccessKey",
      "delete grace DeleteLoginProfile",
    ]);
    expect(actions[0]?.call.parameters).toEqual({ UserName: "dave", AccessKeyId: "AKIADAVESTALE0000002", Status: "Inactive" });
    expect(actions[0]?.preconditions.map((x) => x.attribute)).toEqual(["status", "lastUsedAfterReview"]);
    expect(skipped.find((s) => s.resource.id === "AKIADAVEINUSE0000001")).toMatchObject({ category: "excluded", reason: "decision keep: left the company" });
    expect(skipped.find((s) => s.resource.id === "AKIABOBSTALE00000001")).toMatchObject({ category: "excluded", reason: "no decision in the file" });
  });

  test("a key used after the review is skipped as drifted, with when and where", () => {
    const { actions, skipped } = selectRevocations(
      file({ AKIABOBSTALE00000001: "revoke" }),
      live((m) => {
        const k = m.get("bob")?.keys[0];
        if (k) Object.assign(k, { lastUsed: "2026-11-28T13:00:00.000Z", lastUsedService: "s3", lastUsedRegion: "eu-west-1" });
      }),
      c(),
    );
    expect(actions).toEqual([]);
    expect(skipped.find((s) => s.resource.id === "AKIABOBSTALE00000001")).toMatchObject({
      category: "drifted",
      reason: "used 2026-11-28T13:00:00.000Z (s3 in eu-west-1), after the review of 2026-11-28T12:00:00.000Z: someone is using it",
    });
  });

  test("quarantine: an inactive key tagged by an earlier revoke is deleted only after --delete-after", () => {
    const tagged = live((m) => {
      const bob = m.get("bob") as LiveUser;
      (bob.keys[0] as { status: string }).status = "Inactive";
      bob.tags[quarantineTag("AKIABOBSTALE00000001")] = "2026-11-28T12:05:00.000Z";
    });
    const f = file({ AKIABOBSTALE00000001: "revoke" });
    const early = selectRevocations(f, tagged, c(new Date("2026-12-20T00:00:00.000Z")));
    expect(early.actions).toEqual([]);
    expect(early.skipped.find((s) => s.resource.id === "AKIABOBSTALE00000001")?.reason).toBe(
      "in quarantine: disabled 2026-11-28T12:05:00.000Z by access-revoke, deletable after 2026-12-28T12:05:00.000Z (--delete-after 30d)",
    );
    const late = selectRevocations(f, tagged, c(new Date("2026-12-29T00:00:00.000Z")));
    expect(late.actions.map((a) => `${a.operation} ${a.resource.id} ${a.call.operation}`)).toEqual(["delete AKIABOBSTALE00000001 DeleteAccessKey"]);
    expect(late.actions[0]?.reason.summary).toContain("30 days in quarantine >= 30d");
  });

  test("an inactive key without a quarantine record gets one (disable again, status Inactive expected); a re-enabled key is drift", () => {
    const off = live((m) => {
      (m.get("bob")?.keys[0] as { status: string }).status = "Inactive";
    });
    const { actions } = selectRevocations(file({ AKIABOBSTALE00000001: "revoke" }), off, c());
    expect(actions[0]?.operation).toBe("disable");
    expect(actions[0]?.preconditions[0]).toMatchObject({ attribute: "status", expected: "Inactive" });
    const reEnabled = selectRevocations(
      file({ AKIAJUDYOLDOFF000001: "revoke" }),
      live((m) => ((m.get("judy")?.keys[0] as { status: string }).status = "Active")),
      c(),
    );
    expect(reEnabled.actions).toEqual([]);
    expect(reEnabled.skipped.find((s) => s.resource.id === "AKIAJUDYOLDOFF000001")).toMatchObject({ category: "drifted" });
  });
});
