import type { ApplyOutcome, Draft, Validation } from "../../core/command.ts";
import { parseDuration } from "../../core/duration.ts";
import { OpsError } from "../../core/errors.ts";
import { perRun } from "../../core/per-run.ts";
import type { Action, Check, Plan } from "../../core/plan.ts";
import type { LiveState } from "../../core/preconditions.ts";
import { type AppsPort, type Deployment, FIELD_MANAGER, isKubeError, PATCH_TYPE } from "../../providers/kubernetes/apps.ts";
import { type KubeTarget, loadKubeTarget } from "../../providers/kubernetes/kubeconfig.ts";
import type { DeployContext } from "./config.ts";
import { describeChanges, selectContainers } from "./images.ts";
import type { DeployInput } from "./input.ts";
import { deploymentProgress, waitFor } from "./rollout.ts";

export const DEPLOYMENT_TYPE = "kubernetes.apps.deployment";
const CONFLICT_RETRIES = 3;

interface Session {
  target: KubeTarget;
  apps: AppsPort;
  namespace: string;
}

/** One kubeconfig read and one client per run; the key and token go to the redactor first. */
export const session = perRun(async (ctx): Promise<Session> => {
  const c = ctx.section;
  const target = await loadKubeTarget({ path: c.kubeconfig, context: c.context, env: ctx.deps.env, cwd: ctx.deps.cwd });
  ctx.redactor.add(target.tls.key);
  ctx.redactor.add(target.token);
  const timeoutMs = parseDuration(ctx.config.aws.requestTimeout) ?? 30_000;
  const apps = await ctx.provider("kubeApps", target, { timeoutMs, signal: ctx.deps.signal, phase: () => ctx.phase });
  return { target, apps, namespace: c.namespace ?? target.namespace ?? "default" };
});

export function kubeParameters(ctx: DeployContext, input: DeployInput): Record<string, unknown> {
  const c = ctx.section;
  return { labelSelector: c.labelSelector.replaceAll("{service}", input.service), ...(c.namespace ? { namespace: c.namespace } : {}) };
}

export async function planKubernetes(ctx: DeployContext, input: DeployInput): Promise<Draft> {
  const { target, apps, namespace } = await session(ctx);
  const selector = ctx.section.labelSelector.replaceAll("{service}", input.service);
  let found: Deployment[];
  try {
    found = await apps.listDeployments(namespace, selector);
  } catch (e) {
    throw kubeFailure(target, e);
  }
  ctx.log.debug(`${found.length} Deployment(s) match ${selector} in ${namespace} (${target.source})`);
  const where = `namespace ${namespace}, context ${target.context}`;
  if (!found.length) {
    return { actions: [], skipped: [], checks: [{ name: "discovery", status: "failed", detail: `no Deployments match ${selector} in ${where}` }] };
  }
  const draft: Required<Draft> = {
    actions: [],
    skipped: [],
    checks: [{ name: "discovery", status: "passed", detail: `${found.length} Deployment(s) match ${selector} in ${where}` }],
  };
  for (const d of [...found].sort((a, b) => a.name.localeCompare(b.name))) {
    const sel = selectContainers(d.containers, input.image, ctx.section.container);
    if (!sel.ok) {
      draft.checks.push({ name: "containers", status: "failed", detail: `${d.namespace}/${d.name}: ${sel.reason}` });
      continue;
    }
    if (!sel.changes.length) {
      draft.skipped.push({ resource: resourceOf(d, target), reason: `already runs ${input.image} (${sel.unchanged.join(", ")})`, category: "not-eligible" });
      continue;
    }
    const patch = { spec: { template: { spec: { containers: sel.changes.map((c) => ({ name: c.container, image: c.to })) } } } };
    draft.actions.push({
      id: `deploy:${d.namespace}/${d.name}`,
      resource: resourceOf(d, target),
      operation: "deploy",
      reason: {
        summary: `${describeChanges(sel.changes)}; ${d.replicas} replica(s), ${d.strategy}`,
        evidence: {
          images: sel.changes.map((c) => `${c.container}: ${c.from} → ${c.to}`),
          replicas: d.replicas,
          strategy: d.strategy,
          labelSelector: selector,
          generation: d.generation,
        },
      },
      call: {
        service: "kubernetes",
        operation: "PATCH apps/v1 Deployment",
        parameters: {
          server: target.server,
          namespace: d.namespace,
          name: d.name,
          contentType: PATCH_TYPE,
          fieldManager: FIELD_MANAGER,
          patch,
          waitForRollout: input.waitText,
        },
      },
      checks: [{ name: "containers", status: "passed", detail: `updates ${sel.changes.map((c) => c.container).join(", ")}` }],
      preconditions: sel.changes.map((c) => ({
        description: `container ${c.container} still runs the image the plan saw`,
        attribute: `containers.${c.container}.image`,
        expected: c.from,
        test: "equals" as const,
      })),
    });
  }
  return draft;
}

/** The same PATCH with dryRun=All: admission webhooks and schema validation run, nothing is persisted. */
export async function validateKubernetes(plan: Plan, ctx: DeployContext): Promise<Validation> {
  const { target, apps } = await session(ctx);
  const actions: Record<string, Check[]> = {};
  for (const a of plan.actions) {
    const p = a.call.parameters as { namespace: string; name: string; patch: unknown; server: string };
    if (p.server !== target.server) {
      actions[a.id] = [
        { name: "target", status: "failed", detail: `plan was made against ${p.server}, the current context (${target.context}) is ${target.server}` },
      ];
      continue;
    }
    try {
      await apps.patchDeployment(p.namespace, p.name, p.patch, { dryRun: true });
      actions[a.id] = [{ name: "kubernetes PATCH dryRun=All", status: "passed", detail: `accepted by ${target.server} (fieldManager ${FIELD_MANAGER})` }];
    } catch (e) {
      if (!rejection(e)) throw kubeFailure(target, e);
      actions[a.id] = [{ name: "kubernetes PATCH dryRun=All", status: "failed", detail: `${e.status} ${e.reason}: ${e.message}` }];
    }
  }
  return { actions };
}

export async function liveKubernetes(action: Action, ctx: DeployContext): Promise<LiveState | undefined> {
  const { target, apps } = await session(ctx);
  const p = action.call.parameters as { namespace: string; name: string };
  let d: Deployment | undefined;
  try {
    d = await apps.getDeployment(p.namespace, p.name);
  } catch (e) {
    throw kubeFailure(target, e);
  }
  if (!d) return undefined;
  return Object.fromEntries(d.containers.map((c) => [`containers.${c.name}.image`, c.image]));
}

/**
 * Patches with the resourceVersion just read (a write that raced us is a 409, then
 * re-read and re-checked), then waits for the rollout the patch started.
 */
export async function applyKubernetes(action: Action, ctx: DeployContext): Promise<ApplyOutcome> {
  const { target, apps } = await session(ctx);
  const p = action.call.parameters as { namespace: string; name: string; patch: { spec: unknown }; waitForRollout: string };
  const id = `${p.namespace}/${p.name}`;
  let patched: Deployment | undefined;
  for (let attempt = 1; !patched; attempt++) {
    try {
      const fresh = await apps.getDeployment(p.namespace, p.name);
      if (!fresh) throw new OpsError("validation", `Deployment ${id} disappeared before it was patched`);
      patched = await apps.patchDeployment(p.namespace, p.name, { metadata: { resourceVersion: fresh.resourceVersion }, ...p.patch }, { dryRun: false });
    } catch (e) {
      if (isKubeError(e) && e.status === 409 && attempt < CONFLICT_RETRIES) {
        ctx.log.debug(`${id}: resourceVersion conflict (${e.message}); re-reading, try ${attempt + 1}`);
        continue;
      }
      if (rejection(e)) throw new OpsError("validation", `${id}: the API server rejected the patch: ${e.status} ${e.reason}: ${e.message}`);
      throw isKubeError(e) ? kubeFailure(target, e) : e;
    }
  }
  const done = patched;
  if (p.waitForRollout === "none") return { status: "applied", detail: `patched to generation ${done.generation}; rollout not awaited (--no-wait)` };
  const timeoutMs = parseDuration(p.waitForRollout) ?? 600_000;
  const intervalMs = parseDuration(ctx.section.pollInterval) ?? 2000;
  const end = await waitFor(
    async () => {
      const d = await apps.getDeployment(p.namespace, p.name).catch((e) => {
        throw kubeFailure(target, e);
      });
      if (!d) throw new OpsError("remote", `Deployment ${id} disappeared during its rollout`);
      return deploymentProgress(d, done.generation);
    },
    { timeoutMs, intervalMs, signal: ctx.deps.signal, onProgress: (t) => ctx.log.info(`${id}: ${t}`) },
  );
  if (end.state === "done") return { status: "applied", detail: `rolled out: ${end.text}`, outputs: { generation: String(done.generation) } };
  const why = end.state === "stalled" ? "stalled" : end.interrupted ? "interrupted while waiting" : `not finished after ${p.waitForRollout}`;
  throw new OpsError("remote", `${id}: patched, but the rollout ${why}: ${end.text}`);
}

/** A 4xx answer about the request itself (invalid, forbidden, admission denied), as opposed to the API being unusable. */
function rejection(e: unknown): e is { status: number; reason: string; message: string } {
  return isKubeError(e) && e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 429;
}

function kubeFailure(target: KubeTarget, e: unknown): OpsError {
  if (!isKubeError(e)) return new OpsError("remote", `Kubernetes API at ${target.server}: ${(e as Error)?.message ?? e}`, { cause: e });
  if (e.status === 401) return new OpsError("remote", `the Kubernetes API at ${target.server} rejected the credentials of ${target.source} (401 Unauthorized)`);
  if (e.status) return new OpsError("remote", `Kubernetes API at ${target.server} answered ${e.status} ${e.reason}: ${e.message}`);
  return new OpsError("remote", `cannot reach the Kubernetes API at ${target.server} (${target.source}): ${e.message}`);
}

function resourceOf(d: Deployment, target: KubeTarget) {
  return {
    type: DEPLOYMENT_TYPE,
    id: `${d.namespace}/${d.name}`,
    name: d.name,
    attributes: {
      namespace: d.namespace,
      context: target.context,
      replicas: d.replicas,
      strategy: d.strategy,
      images: Object.fromEntries(d.containers.map((c) => [c.name, c.image])),
    },
  };
}
