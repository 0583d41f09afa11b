import type { Validation } from "../../core/command.ts";
import { mapLimit } from "../../core/concurrency.ts";
import { memoryCheckpoint } from "../../core/memory.ts";
import type { Action, Check, Plan } from "../../core/plan.ts";
import type { DryRunVerdict, Ec2Port } from "../../providers/aws/ec2.ts";
import { authContextKey, describeAuthContext, type VolumeAttributes } from "../../providers/aws/ec2-auth-context.ts";

export type ValidationMode = "per-context" | "per-action";

const PROBES_IN_FLIGHT = 8;

type Operation = "DeleteVolume" | "CreateSnapshot";

interface Probe {
  operation: Operation;
  /** The action whose volume the DryRun is sent for. */
  representative: Action;
  members: Action[];
  index: number;
  verdict?: DryRunVerdict;
}

/**
 * Control-plane validation by authorization, not by count: one DryRun per operation and
 * distinct authorization context (ec2-auth-context.ts lists what IAM can see and its
 * source); every other action with the same context is covered by that DryRun, and its
 * check says which one. `per-action` sends one DryRun per action and operation (the old
 * behaviour; still rate-limited like every call). EC2 charges DryRuns to the real call's
 * bucket, so 3,644 per-action DryRuns would hold DeleteVolume's bucket empty for minutes.
 */
export async function validateVolumes(plan: Plan, ec2: Ec2Port, mode: ValidationMode, ignoreTags: readonly string[] = []): Promise<Validation> {
  const probes = new Map<string, Probe>();
  for (const [i, a] of plan.actions.entries()) {
    // Each action's context key is short-lived: the context object and its JSON, about 2 KB (src/core/memory.ts).
    if (i % 1024 === 1023) memoryCheckpoint(1024 * 2048);
    // From the plan, not today's config: a saved plan is validated as it was made.
    const ops: Operation[] = ["DeleteVolume", ...(a.steps?.some((s) => s.operation === "CreateSnapshot") ? (["CreateSnapshot"] as const) : [])];
    for (const operation of ops) {
      const key = mode === "per-action" ? `${operation} ${a.id}` : authContextKey(operation, a.resource.attributes as VolumeAttributes, ignoreTags);
      const p = probes.get(key);
      if (p) p.members.push(a);
      else probes.set(key, { operation, representative: a, members: [a], index: probes.size + 1 });
    }
  }

  await mapLimit([...probes.values()], PROBES_IN_FLIGHT, async (p) => {
    const id = p.representative.resource.id;
    p.verdict = await (p.operation === "DeleteVolume" ? ec2.checkDeleteVolume(id) : ec2.checkCreateSnapshot(id));
  });

  const actions: Record<string, Check[]> = {};
  for (const p of probes.values()) {
    const v = p.verdict as DryRunVerdict;
    const rep = p.representative.resource.id;
    const name = `ec2:${p.operation} DryRun`;
    const status = v.ok ? "passed" : "failed";
    // Every action the DryRun covered carries the same check: one object per probe, not one
    // per action (checks are never mutated; a 50k-volume plan has tens of thousands of them).
    const covered: Check | undefined = v.ok
      ? { name, status, detail: `covered by the DryRun of ${rep} with the same authorization context (#${p.index})` }
      : undefined;
    for (const a of p.members) {
      const self = a === p.representative;
      const check: Check =
        mode === "per-action" || self
          ? {
              name,
              status,
              detail: v.ok
                ? `DryRunOperation: the call would succeed${mode === "per-context" ? ` (authorization context #${p.index}: ${describeAuthContext(a.resource.attributes as VolumeAttributes, ignoreTags)})` : ""}`
                : `${v.code}: ${a.resource.id}: ${v.message}`,
            }
          : (covered ?? {
              name,
              status,
              detail: `${(v as { code: string }).code}: ${a.resource.id}: the DryRun of ${rep} with the same authorization context (#${p.index}) was refused: ${(v as { message: string }).message}`,
            });
      const list = actions[a.id];
      if (list) list.push(check);
      else actions[a.id] = [check];
    }
  }

  const refused = [...probes.values()].filter((p) => !p.verdict?.ok).length;
  const summary: Check = {
    name: "ec2 DryRun validation",
    status: refused ? "warning" : "passed",
    detail:
      mode === "per-action"
        ? `${probes.size} DryRun call(s), one per action and operation (validation.mode per-action)`
        : `${probes.size} DryRun call(s) for ${plan.actions.length} action(s): one per operation and authorization context (tags${ignoreTags.length ? ` except ${ignoreTags.join(", ")}` : ""}, availability zone, encryption and KMS key, volume type, size, IOPS, throughput, parent snapshot)${refused ? `; ${refused} refused` : ""}`,
  };
  return { plan: [summary], actions };
}
