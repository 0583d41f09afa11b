import type { Action } from "../../core/plan.ts";
import type { ScratchVolume } from "../../providers/aws/ebs-restore.ts";
import type { ScratchMarker } from "../../providers/postgres/scratch.ts";

// Scratch resources an earlier run could not remove (teardown failed, or the process was
// killed), found by their tags/markers. Applies hold the scope's lock, so a scratch
// resource of this environment that exists now belongs to no running verification: the
// run removes it first (these actions come before the verifications in the plan).

export function leftoverVolumeAction(v: ScratchVolume, now: Date): Action {
  const expires = v.tags["opsctl:expires-at"] ?? "unknown";
  return {
    id: `remove-leftover:${v.id}`,
    resource: { type: "aws.ec2.volume", id: v.id, attributes: { state: v.state, sizeGiB: v.sizeGiB, snapshotId: v.snapshotId, tags: v.tags } },
    operation: "delete",
    reason: {
      summary: `scratch volume left by an earlier verify-backup run (plan ${v.tags["opsctl:plan-digest"] ?? "?"}, ${expiryText(expires, now)})`,
      evidence: {
        purposeTag: "opsctl:purpose=verify-backup",
        environment: v.tags["opsctl:environment"] ?? "",
        planDigest: v.tags["opsctl:plan-digest"] ?? "",
        expiresAt: expires,
      },
    },
    call: { service: "ec2", operation: "DeleteVolume", parameters: { VolumeId: v.id } },
    checks: [],
    preconditions: [{ description: "still a verify-backup scratch volume", attribute: "tags.opsctl:purpose", expected: "verify-backup", test: "equals" }],
  };
}

export function leftoverDatabaseAction(name: string, m: ScratchMarker, server: string, now: Date): Action {
  return {
    id: `remove-leftover:${name}`,
    resource: { type: "postgres.database", id: name, attributes: { server, source: m.source, planDigest: m.planDigest, expiresAt: m.expiresAt } },
    operation: "delete",
    reason: {
      summary: `scratch database left by an earlier verify-backup run (plan ${m.planDigest}, ${expiryText(m.expiresAt, now)})`,
      evidence: { marker: "comment opsctl:verify-backup", environment: m.environment, planDigest: m.planDigest, expiresAt: m.expiresAt },
    },
    call: { service: "postgres", operation: "DROP DATABASE", parameters: { name, server, with: "FORCE" } },
    checks: [],
    preconditions: [{ description: "still a verify-backup scratch database", attribute: "marker.purpose", expected: "verify-backup", test: "equals" }],
  };
}

function expiryText(expiresAt: string, now: Date): string {
  const t = Date.parse(expiresAt);
  if (Number.isNaN(t)) return "no expiry tag";
  return t < now.getTime() ? `expired ${expiresAt}` : `expires ${expiresAt}`;
}

export function leftoverDirAction(dir: string, m: Record<string, string>, now: Date): Action {
  return {
    id: `remove-leftover:${dir}`,
    resource: {
      type: "local.directory",
      id: dir,
      attributes: { source: m.source ?? "", planDigest: m.planDigest ?? "", expiresAt: m.expiresAt ?? "", pgVersion: m.pgVersion ?? "" },
    },
    operation: "delete",
    reason: {
      summary: `pgBackRest scratch directory left by an earlier verify-backup run (plan ${m.planDigest ?? "?"}, ${expiryText(m.expiresAt ?? "", now)})`,
      evidence: { marker: "opsctl-verify-backup.json", environment: m.environment ?? "", planDigest: m.planDigest ?? "", expiresAt: m.expiresAt ?? "" },
    },
    call: { service: "file", operation: "remove", parameters: { path: dir, first: "pg_ctl stop -m immediate if a server runs there" } },
    checks: [],
    preconditions: [{ description: "still a verify-backup scratch directory", attribute: "marker.purpose", expected: "verify-backup", test: "equals" }],
  };
}
