import type { Action, Plan } from "../../core/plan.ts";
import type { Ec2Port } from "../../providers/aws/ec2.ts";
import { awsErrorInfo } from "../../providers/aws/errors.ts";
import type { ApplyOutcome, RunContext } from "../../sdk/index.ts";

const SNAPSHOT_WAIT_SECONDS = 1800;

/**
 * Deletes one volume, snapshotting it first when the plan says so. CreateSnapshot is
 * not idempotent, so every try first looks for a snapshot an earlier try (or an
 * interrupted run) already made of this volume, and only then creates one.
 */
export function deleteVolumeHandler(client: (ctx: RunContext) => Promise<Ec2Port>) {
  return async (action: Action, ctx: RunContext, plan: Plan): Promise<ApplyOutcome> => {
    const ec2 = await client(ctx);
    const volumeId = action.resource.id;
    const outputs: Record<string, string> = {};
    if (action.steps?.some((s) => s.operation === "CreateSnapshot")) {
      const snapshotId = await snapshotOnce(ec2, ctx, volumeId, plan.digest);
      ctx.log.debug(`waiting for ${snapshotId} of ${volumeId} to complete`);
      await ec2.waitSnapshotCompleted(snapshotId, SNAPSHOT_WAIT_SECONDS);
      outputs.snapshotId = snapshotId;
    }
    const r = await ec2.deleteVolume(volumeId);
    // Re-reads are batched (live.ts), so a volume can be attached after its re-read; EC2
    // itself refuses to delete an attached volume, and that is drift, not a failure.
    if (r === "in-use") return { status: "skipped", detail: "drifted: attached since it was re-read (DeleteVolume answered VolumeInUse)", outputs };
    return { status: r === "deleted" ? "applied" : "already-done", ...(r === "not-found" ? { detail: "already gone" } : {}), outputs };
  };
}

async function snapshotOnce(ec2: Ec2Port, ctx: RunContext, volumeId: string, planDigest: string): Promise<string> {
  const marker = { "opsctl:source-volume": volumeId, "opsctl:purpose": "pre-delete" };
  const attempts = Math.max(1, ctx.config.aws.maxAttempts);
  for (let attempt = 1; ; attempt++) {
    const existing = (await ec2.findSnapshots(marker)).find((s) => s.state !== "error");
    if (existing) return existing.id;
    try {
      return await ec2.createSnapshot(volumeId, `opsctl cleanup-volumes: ${volumeId} before delete`, {
        ...marker,
        "opsctl:environment": ctx.scope.environment,
        "opsctl:plan-digest": planDigest,
      });
    } catch (e) {
      if (attempt >= attempts || awsErrorInfo(e).class !== "remote") throw e;
      ctx.log.debug(`CreateSnapshot of ${volumeId} failed (${awsErrorInfo(e).code}); re-reading state before try ${attempt + 1}`);
      await new Promise((r) => setTimeout(r, Math.random() * 200 * 2 ** attempt));
    }
  }
}
