import type { EbsRestorePort } from "../../providers/aws/ebs-restore.ts";
import { type Evidence, newEvidence } from "./evidence.ts";
import { freshness, rank } from "./levels.ts";
import { Interrupted, pause, type Scratch, verifyWithScratch } from "./scratch.ts";
import type { SourceSpec } from "./sources.ts";
import type { VerifyOptions } from "./verify-pgdump.ts";

export interface EbsPorts {
  ebs: () => Promise<EbsRestorePort>;
  availabilityZone: string;
  volumeType: string;
  waitTimeoutMs: number;
  pollMs: number;
}

type EbsSpec = Extract<SourceSpec, { kind: "ebs-snapshots" }>;

/**
 * exists (the snapshot is still there and completed) → integrity (100% progress: EBS
 * exposes no checksum to compare) → restore (a scratch volume from the snapshot, until it
 * is available; its size and the time it took are the evidence). The volume is tagged
 * with the run's marker and an expiry, and deleted however the run ends.
 */
export async function verifyEbs(spec: EbsSpec, snapshotId: string, o: VerifyOptions, p: EbsPorts): Promise<Evidence> {
  const ev = newEvidence(spec.text, spec.kind, o.requested, o.target, o.point);
  return verifyWithScratch(ev, o, (scratch) => run(snapshotId, o, p, ev, scratch));
}

async function run(snapshotId: string, o: VerifyOptions, p: EbsPorts, ev: Evidence, scratch: Scratch): Promise<void> {
  const fresh = freshness(new Date(o.point.time), o.now, o.maxAge.text, o.maxAge.ms);
  ev.freshness = fresh;
  if (!fresh.ok) return void ev.findings.push(`stale: ${fresh.detail}`);
  const ebs = await p.ebs();
  const snap = await ebs.getSnapshot(snapshotId);
  if (!snap) return void ev.findings.push(`snapshot ${snapshotId} no longer exists`);
  if (snap.state !== "completed") return void ev.findings.push(`snapshot ${snapshotId} is ${snap.state}, not completed`);
  ev.level.reached = "exists";
  if (rank(o.target) < rank("integrity")) return;
  if (snap.progress && snap.progress !== "100%") return void ev.findings.push(`integrity: snapshot ${snapshotId} progress is ${snap.progress}`);
  ev.level.reached = "integrity";
  if (rank(o.target) < rank("restore")) return;

  const tags = {
    Name: `opsctl verify-backup ${snapshotId}`,
    "opsctl:purpose": "verify-backup",
    "opsctl:environment": o.marker.environment,
    "opsctl:plan-digest": o.marker.planDigest,
    "opsctl:expires-at": o.marker.expiresAt,
    "opsctl:source-snapshot": snapshotId,
  };
  const started = Date.now();
  let volumeId: string;
  try {
    volumeId = await ebs.createVolume(snapshotId, p.availabilityZone, p.volumeType, tags);
  } catch (e) {
    // No answer does not mean no volume: find it by its tags so teardown removes it.
    const maybe = await ebs.volumesByTags({ "opsctl:plan-digest": o.marker.planDigest, "opsctl:source-snapshot": snapshotId }).catch(() => []);
    for (const v of maybe) scratch.add({ kind: "ebs-volume", id: v.id }, () => ebs.deleteVolume(v.id).then((r) => (r === "deleted" ? "removed" : "not-found")));
    throw e;
  }
  scratch.add({ kind: "ebs-volume", id: volumeId }, async () => ((await ebs.deleteVolume(volumeId)) === "deleted" ? "removed" : "not-found"));
  o.log(`restoring ${snapshotId} into scratch volume ${volumeId}`);
  const deadline = started + p.waitTimeoutMs;
  for (;;) {
    const v = await ebs.getVolume(volumeId);
    if (v?.state === "available") {
      ev.restore = {
        target: `ebs-volume ${volumeId} (${v.sizeGiB} GiB, ${p.availabilityZone})`,
        durationMs: Date.now() - started,
        detail: `available after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      };
      if (v.sizeGiB < snap.sizeGiB) return void ev.findings.push(`restore: volume is ${v.sizeGiB} GiB, the snapshot ${snap.sizeGiB} GiB`);
      break;
    }
    if (!v || v.state === "error") {
      ev.restore = { target: `ebs-volume ${volumeId}`, durationMs: Date.now() - started, detail: `volume ${v ? "in state error" : "disappeared"}` };
      return void ev.findings.push(`restore: scratch volume ${volumeId} ${v ? "went into state error" : "disappeared"}`);
    }
    if (Date.now() >= deadline) {
      ev.restore = { target: `ebs-volume ${volumeId}`, durationMs: Date.now() - started, detail: `still ${v.state}` };
      return void ev.findings.push(`restore: scratch volume ${volumeId} still ${v.state} after ${Math.round(p.waitTimeoutMs / 1000)} s`);
    }
    await pause(p.pollMs, o.signal, "restore");
  }
  ev.level.reached = "restore";
}
