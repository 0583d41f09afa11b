import type { EcsService } from "../../providers/aws/ecs.ts";
import type { Deployment } from "../../providers/kubernetes/apps.ts";

export type Progress = { state: "done" | "waiting" | "stalled"; text: string };

/**
 * The checks `kubectl rollout status` makes, in its order: the controller has seen the
 * new generation, no ProgressDeadlineExceeded, every replica updated, old ones gone,
 * and every updated replica ready and available.
 */
export function deploymentProgress(d: Deployment, generation: number): Progress {
  const s = d.status;
  const counts = `${s.updatedReplicas}/${d.replicas} updated, ${s.readyReplicas} ready, ${s.availableReplicas} available`;
  if (s.observedGeneration < generation) return { state: "waiting", text: `waiting for the controller to observe generation ${generation}` };
  const progressing = s.conditions.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return { state: "stalled", text: `ProgressDeadlineExceeded: ${progressing.message ?? "progress deadline exceeded"} (${counts})` };
  }
  if (s.updatedReplicas < d.replicas) return { state: "waiting", text: counts };
  if (s.replicas > s.updatedReplicas) return { state: "waiting", text: `${s.replicas - s.updatedReplicas} old replica(s) pending termination (${counts})` };
  if (s.availableReplicas < s.updatedReplicas || s.readyReplicas < s.updatedReplicas) return { state: "waiting", text: counts };
  return { state: "done", text: counts };
}

/**
 * AWS's own services-stable waiter: one deployment and running == desired; plus the
 * service points at the new revision and no deployment reports FAILED.
 */
export function ecsProgress(s: EcsService, taskDefinitionArn: string): Progress {
  const counts = `${s.runningCount}/${s.desiredCount} running, ${s.deployments.length} deployment(s)`;
  const failed = s.deployments.find((d) => d.rolloutState === "FAILED");
  if (failed) return { state: "stalled", text: `deployment FAILED: ${failed.rolloutStateReason ?? "no reason given"} (${counts})` };
  if (s.taskDefinition !== taskDefinitionArn) return { state: "waiting", text: `service still on ${s.taskDefinition}` };
  if (s.deployments.length === 1 && s.runningCount === s.desiredCount) return { state: "done", text: counts };
  return { state: "waiting", text: counts };
}

/** Polls until done or stalled, up to timeoutMs; stops early when the run is interrupted. */
export async function waitFor(
  read: () => Promise<Progress>,
  o: { timeoutMs: number; intervalMs: number; signal: AbortSignal; onProgress?: (text: string) => void },
): Promise<Progress & { timedOut?: boolean; interrupted?: boolean }> {
  const deadline = Date.now() + o.timeoutMs;
  let last = "";
  for (;;) {
    const p = await read();
    if (p.state !== "waiting") return p;
    if (p.text !== last) o.onProgress?.(p.text);
    last = p.text;
    if (o.signal.aborted) return { ...p, interrupted: true };
    if (Date.now() >= deadline) return { ...p, timedOut: true };
    await sleep(Math.min(o.intervalMs, deadline - Date.now()), o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
