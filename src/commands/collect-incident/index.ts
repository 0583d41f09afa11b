import { type Action, type Check, defineCommand, type FinishOutcome, type Plan, type RunContext, remoteError } from "../../sdk/index.ts";
import type { Collector, CollectorName } from "./collect.ts";
import { INCIDENT_DEFAULTS, INCLUDE, IncidentSection } from "./config.ts";
import { classifyFor, collectorsFor, type IncidentContext, type Inputs, inputsFromFlags } from "./inputs.ts";
import { Pseudonymizer } from "./redact.ts";
import { BundleSession, type CollectorPlan, planCollector, probeCollector } from "./run.ts";
import { verifyMode } from "./verify-mode.ts";
import { formatBytes } from "./window.ts";

// collect-incident: each collector is one action of the plan (its bounded reads are the
// action's reason and call, its permission probes the action's checks); applying the
// plan runs the collectors into one bundle that finish() seals. Read-only by
// construction: the SDK keeps the clients refusing mutations the whole run.

const plans = new WeakMap<RunContext, Map<CollectorName, CollectorPlan>>();
const sessions = new WeakMap<RunContext, BundleSession>();
const stash = new WeakMap<RunContext, Inputs>();

const inputsOf = (ctx: IncidentContext, plan?: Plan): Inputs => (plan?.parameters as unknown as Inputs | undefined) ?? (stash.get(ctx) as Inputs);

export const collectIncident = defineCommand({
  name: "collect-incident",
  description: "Collect a bounded, redacted, hash-sealed evidence bundle (Kubernetes, AWS, PostgreSQL, hosts) for an incident window",
  version: "1.0.0",
  config: { key: "collectIncident", schema: IncidentSection, defaults: INCIDENT_DEFAULTS },
  providers: ["awsEvidence", "kubeReader", "pgEvidence"],
  readOnly: true,
  // A region only when the aws collector runs.
  scope: { region: (section) => (section.include as string[]).some((s) => s.split(",").some((x) => x.trim() === "aws")) },
  flags: [
    { name: "since", kind: "string", required: true, valueName: "D|TIME", description: "Start of the window: a duration before now (2h) or an RFC 3339 time" },
    { name: "until", kind: "string", valueName: "D|TIME", description: "End of the window (default now)" },
    { name: "service", kind: "string", valueName: "NAME", description: "The service: fills {service} in the config (tags, selectors, log groups)" },
    {
      name: "include",
      kind: "list",
      configKey: "collectIncident.include",
      valueName: "LIST",
      itemPattern: { re: INCLUDE, form: "collector names kubernetes (k8s), aws, postgres, hosts, comma-separated" },
      description: "Collectors to run: kubernetes (k8s), aws, postgres, hosts; commas or repeated (default: config)",
    },
    {
      name: "max-bytes",
      kind: "string",
      configKey: "collectIncident.maxBytes",
      valueName: "SIZE",
      description: "Bound on collected content, shared by the collectors (default 200M)",
    },
    { name: "bundle", kind: "string", valueName: "FILE", description: "Bundle to write (default incident-ENV-TIME.tar.gz here); never overwritten" },
  ],
  modes: [verifyMode],
  permissions: [
    "kubernetes:apps/deployments:list",
    "kubernetes:apps/replicasets:list",
    "kubernetes:pods:list",
    "kubernetes:events:list",
    "kubernetes:pods/log:get",
    "kubernetes:configmaps:get",
    "kubernetes:secrets:get (optional: only to redact referenced values)",
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "logs:DescribeLogGroups",
    "logs:FilterLogEvents",
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeScalingActivities",
    "sts:GetCallerIdentity",
    "postgres:CONNECT (pg_read_all_stats for other roles' query text)",
  ],

  parameters(ctx) {
    return { ...inputsOf(ctx) };
  },

  async plan(ctx) {
    const inputs = inputsFromFlags(ctx);
    stash.set(ctx, inputs);
    const collectors = await collectorsFor(ctx, inputs);
    const planned = new Map<CollectorName, CollectorPlan>();
    const share = Math.floor(inputs.maxBytes / collectors.length);
    const actions: Action[] = [];
    for (const c of collectors) {
      const p = await planCollector(c, classifyFor);
      planned.set(c.name, p);
      const estimate = p.reads.reduce((n, r) => n + r.estimatedBytes, 0);
      actions.push({
        id: `collect:${c.name}`,
        resource: {
          type: "incident.collector",
          id: c.name,
          name: [...new Set(p.reads.map((r) => r.target))].slice(0, 3).join(", ") || "-",
          attributes: { reads: p.reads.length, estimatedBytes: estimate, shareBytes: share },
        },
        operation: "collect",
        reason: {
          summary: p.unavailable
            ? `unreachable while planning (${p.unavailable.code ?? p.unavailable.class}): will be recorded as failed`
            : `${p.reads.length} bounded read(s), about ${formatBytes(estimate)}, share ${formatBytes(share)}`,
          evidence: { reads: p.reads.map((r) => `${r.bound === "window" ? "[window] " : "[snapshot] "}${r.call} — ${r.target}`) },
        },
        call: { service: c.name, operation: "collect", parameters: { window: { since: inputs.since, until: inputs.until }, reads: p.reads as never } },
        checks: p.unavailable ? await discoveryChecks(c, p) : [],
        preconditions: [],
      });
    }
    plans.set(ctx, planned);
    const checks: Check[] = [{ name: "window", status: "passed", detail: `${inputs.since} .. ${inputs.until}` }];
    return { actions, skipped: [], checks };
  },

  async validate(plan, ctx) {
    const inputs = inputsOf(ctx, plan);
    const collectors = await collectorsFor(ctx, inputs);
    const planned = plans.get(ctx) ?? new Map<CollectorName, CollectorPlan>();
    plans.set(ctx, planned);
    const out: Record<string, Check[]> = {};
    for (const c of collectors) {
      const before = planned.get(c.name) ?? { name: c.name, reads: [], probes: [] };
      const p = await probeCollector(c, before, classifyFor);
      planned.set(c.name, p);
      out[`collect:${c.name}`] = [
        ...p.probes.map((x): Check => ({ name: x.name, status: x.status, detail: x.detail })),
        ...(p.unavailable && !before.unavailable
          ? [{ name: `${c.name} ${p.unavailable.read}`, status: "warning" as const, detail: p.unavailable.message }]
          : []),
      ];
    }
    return { actions: out };
  },

  async prepare(plan, ctx) {
    const inputs = inputsOf(ctx, plan);
    const collectors = await collectorsFor(ctx, inputs);
    const planned = plans.get(ctx);
    const unavailable = Object.fromEntries([...(planned?.values() ?? [])].filter((p) => p.unavailable).map((p) => [p.name, p.unavailable]));
    const session = new BundleSession({
      collectors,
      unavailable,
      window: { since: new Date(inputs.since), until: new Date(inputs.until) },
      maxBytes: inputs.maxBytes,
      bundlePath: inputs.bundle,
      pseudo: new Pseudonymizer(),
      now: ctx.deps.now,
      signal: ctx.deps.signal,
      classify: classifyFor,
    });
    await session.open();
    sessions.set(ctx, session);
    return { plan: [{ name: "bundle", status: "passed", detail: `writing ${inputs.bundle} (under a temporary name until sealed)` }] };
  },

  async live(action) {
    return { collector: action.resource.id };
  },

  apply: {
    async collect(action, ctx) {
      const session = sessions.get(ctx);
      if (!session) throw new Error("collect-incident: no bundle session (prepare did not run)");
      const r = await session.collect(action.resource.id as CollectorName);
      const size = `${r.files} file(s), ${formatBytes(r.bytes)} of ${formatBytes(r.shareBytes)}`;
      if (r.status === "ok") return { status: "applied", detail: size };
      const why = [...r.failures.map((f) => `${f.read}: ${f.code ? `${f.code} ` : ""}${f.message}`), ...r.truncated.map((t) => `cut ${t.path}: ${t.reason}`)];
      // Nothing of this collector was read: a remote dependency failed (denied, unreachable, missing).
      if (r.status === "failed") throw remoteError(why.join("; "));
      return { status: "partial", detail: `${size}; ${why.join("; ")}` };
    },
  },

  async finish(plan, ctx, result): Promise<FinishOutcome> {
    const session = sessions.get(ctx);
    if (!session) return {};
    const inputs = inputsOf(ctx, plan);
    const bundle = await session.finish(
      {
        command: "collect-incident",
        commandLine: commandLine(ctx),
        environment: plan.scope.environment,
        ...(plan.scope.region ? { region: plan.scope.region } : {}),
        ...(inputs.service ? { service: inputs.service } : {}),
        opsctl: { version: ctx.deps.build.version, commit: ctx.deps.build.commit, target: ctx.deps.build.target, runtime: ctx.deps.runtime },
        planDigest: plan.digest,
      },
      { interrupted: result.interrupted },
    );
    if (!bundle) return { outputs: { bundle: result.interrupted ? "not written (interrupted)" : "not written: nothing was collected" } };
    return { outputs: { bundle: bundle.path, digest: bundle.digest, bytes: String(bundle.bytes) } };
  },
});

/**
 * A discovery that failed: refused (a permission verdict) is a failed check, exit 3
 * before anything is read, with the probes saying what exactly is missing; unreachable
 * is a warning, and the collector is recorded as failed when the plan runs.
 */
async function discoveryChecks(c: Collector, p: CollectorPlan): Promise<Check[]> {
  const u = p.unavailable as NonNullable<CollectorPlan["unavailable"]>;
  if (u.class !== "auth") return [{ name: `${c.name} discovery`, status: "warning", detail: u.message }];
  const denied = (await c.probe().catch(() => [])).filter((x) => x.status === "failed");
  const own: Check = { name: `${c.name} discovery`, status: "failed", detail: `${u.code ? `${u.code}: ` : ""}${u.message}` };
  return [own, ...denied.map((x): Check => ({ name: x.name, status: "failed", detail: x.detail }))];
}

/** The invocation as parsed (flags, not raw argv: nothing secret is on a command line opsctl accepts). */
function commandLine(ctx: RunContext): string {
  const parts = ["opsctl", "collect-incident"];
  for (const [k, v] of Object.entries(ctx.flags)) {
    if (v === undefined || v === false) continue;
    if (v === true) parts.push(`--${k}`);
    else if (Array.isArray(v)) for (const x of v) parts.push(`--${k}`, String(x));
    else parts.push(`--${k}`, String(v));
  }
  return parts.join(" ");
}
