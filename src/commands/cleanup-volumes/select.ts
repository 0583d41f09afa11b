import { memoryCheckpoint } from "../../core/memory.ts";
import type { Action, Skipped } from "../../core/plan.ts";
import type { Volume } from "../../providers/aws/ec2.ts";

export interface Criteria {
  environment: string;
  environmentTag: string;
  olderThanMs: number;
  olderThanText: string;
  include: [string, string][];
  exclude: [string, string][];
  protect: [string, string];
  snapshotFirst: boolean;
  now: Date;
}

const DAY = 86_400_000;

export function splitTag(selector: string): [string, string] {
  const i = selector.indexOf("=");
  return [selector.slice(0, i), selector.slice(i + 1)];
}

/**
 * Pure selection: which volumes are deleted and why, which are left alone and why.
 * Every decision carries its evidence so a reviewer can check it without the console.
 */
export function selectVolumes(volumes: Volume[], c: Criteria, nearMisses: boolean): { actions: Action[]; skipped: Skipped[] } {
  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  const skip = (v: Volume, category: Skipped["category"], reason: string) => skipped.push({ resource: resourceOf(v), reason, category });

  const sorted = [...volumes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const [i, v] of sorted.entries()) {
    // Tens of thousands of actions are built here: the garbage of building one (dates, strings,
    // keys) is about 1 KB, collected as we go (core/memory.ts).
    if (i % 2048 === 2047) memoryCheckpoint(2048 * 1024);
    const envValue = v.tags[c.environmentTag];
    const ageMs = c.now.getTime() - v.createTime.getTime();
    const ageDays = Math.floor(ageMs / DAY);
    if (envValue !== c.environment) {
      if (nearMisses) skip(v, "out-of-scope", envValue === undefined ? `no ${c.environmentTag} tag` : `other environment: ${c.environmentTag}=${envValue}`);
      continue;
    }
    if (v.tags[c.protect[0]] === c.protect[1]) {
      skip(v, "protected", `protection tag ${c.protect[0]}=${c.protect[1]}`);
      continue;
    }
    const missing = c.include.find(([k, val]) => v.tags[k] !== val);
    if (missing) {
      skip(v, "excluded", `does not match --include-tag ${missing[0]}=${missing[1]}`);
      continue;
    }
    const excluded = c.exclude.find(([k, val]) => v.tags[k] === val);
    if (excluded) {
      skip(v, "excluded", `matches --exclude-tag ${excluded[0]}=${excluded[1]}`);
      continue;
    }
    if (v.state !== "available" || v.attachments.length > 0) {
      if (nearMisses)
        skip(v, "not-eligible", `state ${v.state}${v.attachments.length ? `, attached to ${v.attachments.map((a) => a.instanceId).join(", ")}` : ""}`);
      continue;
    }
    if (ageMs <= c.olderThanMs) {
      if (nearMisses) skip(v, "not-eligible", `created ${isoDay(v.createTime)}, ${ageDays} days old, not older than ${c.olderThanText}`);
      continue;
    }
    actions.push(deleteAction(v, c, ageDays));
  }
  return { actions, skipped };
}

/**
 * The parts of an action that depend only on the criteria (or on the age in days) are
 * built once per run and shared by every action: a 50k-volume plan holds tens of
 * thousands of actions, and these objects are never mutated (validation adds checks by
 * building a new list).
 */
const shared = new WeakMap<Criteria, ReturnType<typeof sharedParts>>();
function sharedParts(c: Criteria) {
  const tagEvidence = [`${c.environmentTag}=${c.environment}`, ...c.include.map(([k, val]) => `${k}=${val}`)];
  return {
    tagEvidence,
    tagText: tagEvidence.join(", "),
    protectTagAbsent: `${c.protect[0]}=${c.protect[1]}`,
    notProtected: { name: "not-protected", status: "passed" as const, detail: `no ${c.protect[0]}=${c.protect[1]} tag` },
    unattached: { name: "unattached", status: "passed" as const, detail: "no attachments" },
    ages: new Map<number, Action["checks"][number]>(),
    /** Reason summaries by creation day and age: they repeat across thousands of actions. */
    summaries: new Map<string, string>(),
    preconditions: [
      { description: "volume is still available", attribute: "state", expected: "available", test: "equals" as const },
      { description: "volume is still unattached", attribute: "attachments", expected: [], test: "empty" as const },
      { description: "volume is still in the environment", attribute: `tags.${c.environmentTag}`, expected: c.environment, test: "equals" as const },
      { description: "volume has not been protected since", attribute: `tags.${c.protect[0]}`, expected: c.protect[1], test: "absent-or-not-equal" as const },
    ],
  };
}

function deleteAction(v: Volume, c: Criteria, ageDays: number): Action {
  let p = shared.get(c);
  if (!p) {
    p = sharedParts(c);
    shared.set(c, p);
  }
  let age = p.ages.get(ageDays);
  if (!age) {
    age = { name: "age", status: "passed", detail: `${ageDays} days > ${c.olderThanText}` };
    p.ages.set(ageDays, age);
  }
  const createTime = v.createTime.toISOString();
  const day = createTime.slice(0, 10);
  let summary = p.summaries.get(`${day} ${ageDays}`);
  if (summary === undefined) {
    summary = `available (no attachments), created ${day}, ${ageDays} days > ${c.olderThanText}; tag ${p.tagText}`;
    p.summaries.set(`${day} ${ageDays}`, summary);
  }
  return {
    id: `delete:${v.id}`,
    resource: resourceOf(v, createTime),
    operation: "delete",
    reason: {
      summary,
      evidence: {
        state: v.state,
        attachments: 0,
        createTime,
        ageDays,
        olderThan: c.olderThanText,
        tags: p.tagEvidence,
        protectTagAbsent: p.protectTagAbsent,
      },
    },
    call: { service: "ec2", operation: "DeleteVolume", parameters: { VolumeId: v.id } },
    ...(c.snapshotFirst ? { steps: [{ service: "ec2", operation: "CreateSnapshot", parameters: { VolumeId: v.id, wait: "completed" } }] } : {}),
    checks: [p.notProtected, p.unattached, age],
    preconditions: p.preconditions,
  };
}

export function resourceOf(v: Volume, createTime = v.createTime.toISOString()) {
  return {
    type: "aws.ec2.volume",
    id: v.id,
    ...(v.tags.Name ? { name: v.tags.Name } : {}),
    attributes: {
      state: v.state,
      sizeGiB: v.sizeGiB,
      volumeType: v.type,
      availabilityZone: v.availabilityZone,
      encrypted: v.encrypted,
      // What IAM conditions can also see (authorization context of the DryRun validation).
      ...(v.kmsKeyId ? { kmsKeyId: v.kmsKeyId } : {}),
      ...(v.iops !== undefined ? { iops: v.iops } : {}),
      ...(v.throughput !== undefined ? { throughput: v.throughput } : {}),
      ...(v.snapshotId ? { snapshotId: v.snapshotId } : {}),
      createTime,
      tags: v.tags,
    },
  };
}

/** The attributes preconditions compare, read from a live volume. */
export function liveAttributes(v: Volume): Record<string, unknown> {
  const out: Record<string, unknown> = { state: v.state, attachments: v.attachments.map((a) => a.instanceId) };
  for (const [k, val] of Object.entries(v.tags)) out[`tags.${k}`] = val;
  return out;
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
