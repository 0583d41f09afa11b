import type { Action, Precondition, Resource, Skipped } from "../../core/plan.ts";
import type { DecisionsFile, ReadRow } from "../access-review/decisions.ts";

/** What access-revoke reads live for each user a decision names. */
export interface LiveUser {
  name: string;
  keys: { id: string; status: string; created: string; lastUsed?: string; lastUsedService?: string; lastUsedRegion?: string }[];
  password?: { created: string; lastUsed?: string };
  tags: Record<string, string>;
}

export interface RevokeCriteria {
  now: Date;
  deleteAfter: { ms: number; text: string };
  /** Where the decisions came from, for the evidence (as given on the command line). */
  decisionsFile: string;
}

/** The tag on the user that records when access-revoke disabled one of its keys (the quarantine start). */
export const QUARANTINE_TAG = "opsctl:access-revoke:";
export const quarantineTag = (accessKeyId: string) => `${QUARANTINE_TAG}${accessKeyId}`;

const DAY = 86_400_000;

/**
 * Pure: decisions + live state → actions and skipped. A `revoke` on an active key
 * disables it and records the quarantine start; on a key disabled by an earlier revoke
 * at least --delete-after ago it deletes it; on a console password it deletes the login
 * profile. Users are never deleted. Anything used since the review is left alone as
 * drifted: someone is using it.
 */
export function selectRevocations(f: DecisionsFile, live: Map<string, LiveUser>, c: RevokeCriteria): { actions: Action[]; skipped: Skipped[] } {
  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  const asOf = Date.parse(f.asOf);
  for (const row of f.rows) {
    const u = live.get(row.user);
    const skip = (category: Skipped["category"], reason: string) => skipped.push({ resource: rowResource(row), reason, category });
    if (row.credential === "none") continue;
    if (row.decision !== "revoke") {
      skip("excluded", row.decision === "keep" ? `decision keep${row.justification ? `: ${oneLine(row.justification)}` : ""}` : "no decision in the file");
      continue;
    }
    if (row.credential === "console-password") {
      const p = u?.password;
      if (!p) skip("not-eligible", "no console password any more");
      else if (p.lastUsed && Date.parse(p.lastUsed) > asOf)
        skip("drifted", `console password used ${p.lastUsed}, after the review of ${f.asOf}: someone is using it`);
      else actions.push(deleteLoginProfile(row, p, f, c));
      continue;
    }
    const k = u?.keys.find((x) => x.id === row.accessKeyId);
    if (!u || !k) {
      skip("not-eligible", "the key no longer exists");
      continue;
    }
    if (k.lastUsed && Date.parse(k.lastUsed) > asOf) {
      skip(
        "drifted",
        `used ${k.lastUsed}${k.lastUsedService ? ` (${k.lastUsedService}${k.lastUsedRegion ? ` in ${k.lastUsedRegion}` : ""})` : ""}, after the review of ${f.asOf}: someone is using it`,
      );
      continue;
    }
    const disabledAt = u.tags[quarantineTag(k.id)];
    if (k.status === "Active") {
      if (row.status !== "Active") skip("drifted", `status is Active, the review saw ${row.status}: re-enabled since`);
      else actions.push(disable(row, k, f, c, "Active"));
    } else if (!disabledAt || Number.isNaN(Date.parse(disabledAt))) {
      // Inactive with no record of when: start the quarantine now, so a later run can delete it.
      actions.push(disable(row, k, f, c, k.status));
    } else {
      const since = c.now.getTime() - Date.parse(disabledAt);
      if (since >= c.deleteAfter.ms) actions.push(deleteKey(row, k, disabledAt, since, f, c));
      else {
        const until = new Date(Date.parse(disabledAt) + c.deleteAfter.ms).toISOString();
        skip("not-eligible", `in quarantine: disabled ${disabledAt} by access-revoke, deletable after ${until} (--delete-after ${c.deleteAfter.text})`);
      }
    }
  }
  return { actions, skipped };
}

function evidence(row: ReadRow, f: DecisionsFile, c: RevokeCriteria) {
  return {
    decisionsFile: c.decisionsFile,
    line: row.line,
    decision: "revoke",
    justification: row.justification,
    reviewAsOf: f.asOf,
    populationDigest: f.populationDigest,
    findings: row.findings,
  };
}

const notUsedSince = (f: DecisionsFile): Precondition => ({
  description: `not used since the review of ${f.asOf}`,
  attribute: "lastUsedAfterReview",
  expected: null,
  test: "empty",
});

function disable(row: ReadRow, k: LiveUser["keys"][number], f: DecisionsFile, c: RevokeCriteria, status: string): Action {
  const already = status !== "Active";
  return {
    id: `disable:${k.id}`,
    resource: keyResource(row.user, k),
    operation: "disable",
    reason: {
      summary: `${already ? "already inactive, no quarantine record: record it now; " : ""}revoke decided in the review of ${f.asOf}${row.justification ? `: ${oneLine(row.justification)}` : ""}`,
      // The quarantine start is written after the disable succeeded, never before: a tag without a disable would shorten the quarantine.
      evidence: { ...evidence(row, f, c), reviewedStatus: row.status, liveStatus: status, afterwards: `TagUser ${quarantineTag(k.id)}=<time of the disable>` },
    },
    call: { service: "iam", operation: "UpdateAccessKey", parameters: { UserName: row.user, AccessKeyId: k.id, Status: "Inactive" } },
    checks: [{ name: "decision", status: "passed", detail: `revoke, ${c.decisionsFile} line ${row.line}` }],
    preconditions: [{ description: `key status is still ${status}`, attribute: "status", expected: status, test: "equals" }, notUsedSince(f)],
  };
}

function deleteKey(row: ReadRow, k: LiveUser["keys"][number], disabledAt: string, sinceMs: number, f: DecisionsFile, c: RevokeCriteria): Action {
  const days = Math.floor(sinceMs / DAY);
  return {
    id: `delete:${k.id}`,
    resource: keyResource(row.user, k),
    operation: "delete",
    reason: {
      summary: `disabled ${disabledAt} by access-revoke, ${days} days in quarantine >= ${c.deleteAfter.text}; revoke decided in the review of ${f.asOf}`,
      evidence: { ...evidence(row, f, c), disabledAt, quarantineDays: days, deleteAfter: c.deleteAfter.text, tag: quarantineTag(k.id) },
    },
    call: { service: "iam", operation: "DeleteAccessKey", parameters: { UserName: row.user, AccessKeyId: k.id } },
    checks: [{ name: "quarantine", status: "passed", detail: `${days} days >= ${c.deleteAfter.text}` }],
    preconditions: [
      { description: "key is still inactive", attribute: "status", expected: "Inactive", test: "equals" },
      { description: "quarantine record unchanged", attribute: `tags.${quarantineTag(k.id)}`, expected: disabledAt, test: "equals" },
      notUsedSince(f),
    ],
  };
}

function deleteLoginProfile(row: ReadRow, p: NonNullable<LiveUser["password"]>, f: DecisionsFile, c: RevokeCriteria): Action {
  return {
    id: `delete-login-profile:${row.user}`,
    resource: { type: "aws.iam.login-profile", id: row.user, name: row.user, attributes: { user: row.user, created: p.created, lastUsed: p.lastUsed ?? null } },
    operation: "delete",
    reason: {
      summary: `remove console access; revoke decided in the review of ${f.asOf}${row.justification ? `: ${oneLine(row.justification)}` : ""}`,
      evidence: evidence(row, f, c),
    },
    call: { service: "iam", operation: "DeleteLoginProfile", parameters: { UserName: row.user } },
    checks: [{ name: "decision", status: "passed", detail: `revoke, ${c.decisionsFile} line ${row.line}` }],
    preconditions: [{ description: "the console password is the reviewed one", attribute: "created", expected: p.created, test: "equals" }, notUsedSince(f)],
  };
}

function keyResource(user: string, k: LiveUser["keys"][number]) {
  return {
    type: "aws.iam.access-key",
    id: k.id,
    name: user,
    attributes: { user, status: k.status, created: k.created, lastUsed: k.lastUsed ?? null },
  };
}

function rowResource(row: ReadRow): Resource {
  return row.credential === "access-key"
    ? { type: "aws.iam.access-key", id: row.accessKeyId, name: row.user, attributes: { user: row.user, status: row.status } }
    : { type: "aws.iam.login-profile", id: row.user, name: row.user, attributes: { user: row.user } };
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim().slice(0, 200);
}
