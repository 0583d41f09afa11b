import type { ApplyOutcome, RunContext } from "../../core/command.ts";
import type { Action } from "../../core/plan.ts";
import type { Ec2Port } from "../../providers/aws/ec2.ts";

const SNAPSHOT_WAIT_SECONDS = 1800;

/**
 * Deletes one volume, snapshotting it first when asked. CreateSnapshot is not
 * idempotent, so the handler first looks for a snapshot an earlier (interrupted)
 * run already made of this volume before making a new one.
 */
export function deleteVolumeHandler(client: (ctx: RunContext) => Promise<Ec2Port>) {
  return async (action: Action, ctx: RunContext): Promise<ApplyOutcome> => {
    const ec2 = await client(ctx);
    const volumeId = action.resource.id;
    const outputs: Record<string, string> = {};
    if (action.steps?.some((s) => s.operation === "CreateSnapshot")) {
      const tags = { "opsctl:source-volume": volumeId, "opsctl:purpose": "pre-delete", "opsctl:environment": ctx.scope.environment };
      const existing = await ec2.findSnapshots({ "opsctl:source-volume": volumeId, "opsctl:purpose": "pre-delete" });
      const snapshotId =
        existing.find((s) => s.state !== "error")?.id ?? (await ec2.createSnapshot(volumeId, `opsctl cleanup-volumes: ${volumeId} before delete`, tags));
      ctx.log.debug(`waiting for ${snapshotId} of ${volumeId} to complete`);
      await ec2.waitSnapshotCompleted(snapshotId, SNAPSHOT_WAIT_SECONDS);
      outputs.snapshotId = snapshotId;
    }
    const r = await ec2.deleteVolume(volumeId);
    return { status: r === "deleted" ? "applied" : "already-done", ...(r === "not-found" ? { detail: "already gone" } : {}), outputs };
  };
}
