import { describe, expect, test } from "bun:test";
import { type Criteria, selectVolumes } from "../../src/commands/cleanup-volumes/select.ts";
import { volume } from "../support/fake-ec2.ts";
import { FROZEN_NOW } from "../support/inproc.ts";

const criteria: Criteria = {
  environment: "staging",
  environmentTag: "Environment",
  olderThanMs: 30 * 86_400_000,
  olderThanText: "30d",
  include: [],
  exclude: [["keep", "yes"]],
  protect: ["opsctl:protect", "true"],
  snapshotFirst: false,
  now: FROZEN_NOW,
};

const vols = [
  volume("vol-old", { ageDays: 88, tags: { Environment: "staging", Name: "scratch" } }),
  volume("vol-young", { ageDays: 3 }),
  volume("vol-boundary", { ageDays: 30 }),
  volume("vol-attached", { state: "in-use", attachments: [{ instanceId: "i-1", state: "attached" }] }),
  volume("vol-protected", { tags: { Environment: "staging", "opsctl:protect": "true" } }),
  volume("vol-kept", { tags: { Environment: "staging", keep: "yes" } }),
  volume("vol-prod", { tags: { Environment: "prod" } }),
  volume("vol-untagged", { tags: {} }),
];

describe("cleanup-volumes selection", () => {
  test("selects only old, available, unattached, unprotected volumes of the environment", () => {
    const { actions, skipped } = selectVolumes(vols, criteria, false);
    expect(actions.map((a) => a.resource.id)).toEqual(["vol-old"]);
    expect(skipped.map((s) => [s.resource.id, s.category])).toEqual([
      ["vol-kept", "excluded"],
      ["vol-protected", "protected"],
    ]);
  });

  test("each action carries its reason, evidence, exact call and preconditions", () => {
    const [a] = selectVolumes(vols, criteria, false).actions;
    expect(a?.reason.summary).toBe("available (no attachments), created 2026-09-01, 88 days > 30d; tag Environment=staging");
    expect(a?.reason.evidence).toMatchObject({ state: "available", attachments: 0, ageDays: 88, olderThan: "30d" });
    expect(a?.call).toEqual({ service: "ec2", operation: "DeleteVolume", parameters: { VolumeId: "vol-old" } });
    expect(a?.preconditions.map((p) => p.attribute)).toEqual(["state", "attachments", "tags.Environment", "tags.opsctl:protect"]);
    expect(a?.resource.name).toBe("scratch");
  });

  test("near-misses are explained when asked for", () => {
    const { skipped } = selectVolumes(vols, criteria, true);
    expect(Object.fromEntries(skipped.map((s) => [s.resource.id, s.reason]))).toEqual({
      "vol-attached": "state in-use, attached to i-1",
      "vol-boundary": "created 2026-10-29, 30 days old, not older than 30d",
      "vol-kept": "matches --exclude-tag keep=yes",
      "vol-prod": "other environment: Environment=prod",
      "vol-protected": "protection tag opsctl:protect=true",
      "vol-untagged": "no Environment tag",
      "vol-young": "created 2026-11-25, 3 days old, not older than 30d",
    });
  });

  test("include selectors must all match; snapshot-first adds the step", () => {
    const tagged = [volume("vol-a", { tags: { Environment: "staging", team: "a" } }), volume("vol-b", { tags: { Environment: "staging", team: "b" } })];
    const r = selectVolumes(tagged, { ...criteria, include: [["team", "a"]], snapshotFirst: true }, false);
    expect(r.actions.map((a) => a.resource.id)).toEqual(["vol-a"]);
    expect(r.actions[0]?.steps?.[0]?.operation).toBe("CreateSnapshot");
    expect(r.skipped[0]?.reason).toBe("does not match --include-tag team=a");
  });
});
