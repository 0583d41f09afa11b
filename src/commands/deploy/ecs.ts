import type { ApplyOutcome, Draft, Validation } from "../../core/command.ts";
import { parseDuration } from "../../core/duration.ts";
import { OpsError } from "../../core/errors.ts";
import { perRun } from "../../core/per-run.ts";
import type { Action, Check, Plan } from "../../core/plan.ts";
import type { LiveState } from "../../core/preconditions.ts";
import { awsOptions } from "../../providers/aws/context.ts";
import type { EcsPort, EcsService, TaskDefinition } from "../../providers/aws/ecs.ts";
import { remoteFailure } from "../../providers/aws/errors.ts";
import type { RunContext } from "../../sdk/index.ts";
import type { DeployContext } from "./config.ts";
import { describeChanges, selectContainers } from "./images.ts";
import type { DeployInput } from "./input.ts";
import { ecsProgress, waitFor } from "./rollout.ts";

export const ECS_SERVICE_TYPE = "aws.ecs.service";

const client = perRun((ctx: RunContext): Promise<EcsPort> => ctx.provider("ecs", awsOptions(ctx)));

/** Reads wrap SDK failures as exit 4 naming the endpoint; nothing was changed yet. */
async function read<T>(ctx: DeployContext, f: (ecs: EcsPort) => Promise<T>): Promise<T> {
  const ecs = await client(ctx);
  try {
    return await f(ecs);
  } catch (e) {
    throw remoteFailure("ECS", ctx.config.aws.endpoint, e);
  }
}

export function ecsParameters(ctx: DeployContext, input: DeployInput): Record<string, unknown> {
  return { cluster: ctx.section.cluster, ecsService: ctx.section.service.replaceAll("{service}", input.service) };
}

export async function planEcs(ctx: DeployContext, input: DeployInput): Promise<Draft> {
  const cluster = ctx.section.cluster as string;
  const name = ctx.section.service.replaceAll("{service}", input.service);
  const svc = await read(ctx, (e) => e.describeService(cluster, name));
  const failed = (detail: string): Draft => ({ actions: [], skipped: [], checks: [{ name: "service", status: "failed", detail }] });
  if (!svc) return failed(`ECS service ${name} not found in cluster ${cluster}`);
  if (svc.status !== "ACTIVE") return failed(`ECS service ${name} in cluster ${cluster} is ${svc.status}, not ACTIVE`);
  const td = await read(ctx, (e) => e.describeTaskDefinition(svc.taskDefinition));
  if (!td) return failed(`task definition ${svc.taskDefinition} of service ${name} does not exist`);
  const sel = selectContainers(td.containers, input.image, ctx.section.container);
  if (!sel.ok) return { actions: [], skipped: [], checks: [{ name: "containers", status: "failed", detail: `${name}: ${sel.reason}` }] };
  if (!sel.changes.length)
    return {
      actions: [],
      skipped: [{ resource: resourceOf(svc, td, cluster), reason: `already runs ${input.image} (${td.family}:${td.revision})`, category: "not-eligible" }],
    };
  const images = Object.fromEntries(sel.changes.map((c) => [c.container, c.to]));
  return {
    actions: [
      {
        id: `deploy:${cluster}/${name}`,
        resource: resourceOf(svc, td, cluster),
        operation: "deploy",
        reason: {
          summary: `${describeChanges(sel.changes)}; new revision of ${td.family} (from ${td.revision}), ${svc.desiredCount} task(s)`,
          evidence: { images: sel.changes.map((c) => `${c.container}: ${c.from} → ${c.to}`), taskDefinition: td.arn, desiredCount: svc.desiredCount },
        },
        steps: [{ service: "ecs", operation: "RegisterTaskDefinition", parameters: { family: td.family, basedOn: td.arn, containerImages: images } }],
        call: {
          service: "ecs",
          operation: "UpdateService",
          parameters: { cluster, service: name, taskDefinition: `${td.family}:<new revision>`, waitForSteadyState: input.waitText },
        },
        checks: [
          { name: "service-active", status: "passed", detail: `${name} is ACTIVE` },
          { name: "containers", status: "passed", detail: `updates ${sel.changes.map((c) => c.container).join(", ")}` },
        ],
        preconditions: [
          { description: "service still runs the task definition the plan saw", attribute: "taskDefinition", expected: td.arn, test: "equals" },
          { description: "service is still active", attribute: "status", expected: "ACTIVE", test: "equals" },
        ],
      },
    ],
    skipped: [],
  };
}

/** ECS has no dry run: re-read that the service is active and its task definition exists (also for saved plans). */
export async function validateEcs(plan: Plan, ctx: DeployContext): Promise<Validation> {
  const actions: Record<string, Check[]> = {};
  for (const a of plan.actions) {
    const p = a.call.parameters as { cluster: string; service: string };
    const basedOn = String(a.steps?.[0]?.parameters?.basedOn);
    const svc = await read(ctx, (e) => e.describeService(p.cluster, p.service));
    const td = await read(ctx, (e) => e.describeTaskDefinition(basedOn));
    actions[a.id] = [
      {
        name: "ecs:DescribeServices",
        status: svc?.status === "ACTIVE" ? "passed" : "failed",
        detail: svc ? `${p.service} is ${svc.status}` : `${p.service} not found in ${p.cluster}`,
      },
      { name: "ecs:DescribeTaskDefinition", status: td ? "passed" : "failed", detail: td ? `${basedOn} exists` : `${basedOn} does not exist` },
    ];
  }
  return { actions };
}

export async function liveEcs(action: Action, ctx: DeployContext): Promise<LiveState | undefined> {
  const p = action.call.parameters as { cluster: string; service: string };
  const svc = await read(ctx, (e) => e.describeService(p.cluster, p.service));
  return svc ? { taskDefinition: svc.taskDefinition, status: svc.status } : undefined;
}

/**
 * RegisterTaskDefinition is not idempotent: a re-run first reuses the family's latest
 * revision when it is exactly what would be registered, then points the service at it
 * and waits for steady state.
 */
export async function applyEcs(action: Action, ctx: DeployContext): Promise<ApplyOutcome> {
  const ecs = await client(ctx);
  const p = action.call.parameters as { cluster: string; service: string; waitForSteadyState: string };
  const step = (action.steps?.[0]?.parameters ?? {}) as { family: string; basedOn: string; containerImages: Record<string, string> };
  const base = await ecs.describeTaskDefinition(step.basedOn);
  if (!base) throw new OpsError("validation", `task definition ${step.basedOn} disappeared before deploy`);
  const latest = await ecs.describeTaskDefinition(step.family);
  const reuse = latest && latest.arn !== base.arn && sameDefinition(latest, base, step.containerImages);
  const next = reuse ? latest : await ecs.registerRevision(base, step.containerImages);
  ctx.log.debug(`${reuse ? "reusing" : "registered"} ${next.arn}`);
  await ecs.updateService(p.cluster, p.service, next.arn);
  const outputs = { taskDefinition: next.arn };
  if (p.waitForSteadyState === "none")
    return { status: "applied", detail: `service points at ${next.family}:${next.revision}; steady state not awaited (--no-wait)`, outputs };
  const end = await waitFor(
    async () => {
      const svc = await read(ctx, (e) => e.describeService(p.cluster, p.service));
      if (!svc) throw new OpsError("remote", `ECS service ${p.service} disappeared during its deployment`);
      return ecsProgress(svc as EcsService, next.arn);
    },
    {
      timeoutMs: parseDuration(p.waitForSteadyState) ?? 600_000,
      intervalMs: parseDuration(ctx.section.pollInterval) ?? 2000,
      signal: ctx.deps.signal,
      onProgress: (t) => ctx.log.info(`${p.service}: ${t}`),
    },
  );
  if (end.state === "done") return { status: "applied", detail: `${next.family}:${next.revision} reached steady state: ${end.text}`, outputs };
  const why =
    end.state === "stalled" ? "failed" : end.interrupted ? "was interrupted while waiting" : `did not reach steady state within ${p.waitForSteadyState}`;
  throw new OpsError("remote", `${p.service}: updated to ${next.family}:${next.revision}, but the deployment ${why}: ${end.text}`);
}

function sameDefinition(candidate: TaskDefinition, base: TaskDefinition, images: Record<string, string>): boolean {
  const want = ((base.raw.containerDefinitions ?? []) as { name: string; image: string }[]).map((c) => (images[c.name] ? { ...c, image: images[c.name] } : c));
  return JSON.stringify(want) === JSON.stringify(candidate.raw.containerDefinitions ?? []);
}

function resourceOf(svc: EcsService, td: TaskDefinition, cluster: string) {
  return {
    type: ECS_SERVICE_TYPE,
    id: svc.arn,
    name: svc.name,
    attributes: {
      cluster,
      taskDefinition: td.arn,
      desiredCount: svc.desiredCount,
      runningCount: svc.runningCount,
      images: Object.fromEntries(td.containers.map((c) => [c.name, c.image])),
    },
  };
}
