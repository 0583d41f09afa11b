import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isKubeError } from "../../providers/kubernetes/apps.ts";
import { loadKubeTarget } from "../../providers/kubernetes/kubeconfig.ts";
import { pgErrorClass } from "../../providers/postgres/evidence.ts";
import { awsOptions, type Problem, perRun, type RunContext, type SectionOf, usageError } from "../../sdk/index.ts";
import { COLLECTOR_NAMES, type Collector, type CollectorName, type ReadFailure } from "./collect.ts";
import { classifyAws } from "./collectors/aws.ts";
import { classifyHost } from "./collectors/hosts.ts";
import { classifyKube } from "./collectors/kubernetes.ts";
import type { INCIDENT_DEFAULTS, IncidentConfig, IncidentSection } from "./config.ts";
import { buildCollectors } from "./setup.ts";
import { parseSize, parseWindow } from "./window.ts";

export type IncidentContext = RunContext<SectionOf<typeof IncidentSection, typeof INCIDENT_DEFAULTS>>;

/**
 * The run's inputs as recorded in plan.parameters: absolute times, bytes and paths, so
 * a saved plan collects exactly the window and bundle that were reviewed.
 */
export interface Inputs {
  since: string;
  until: string;
  maxBytes: number;
  bundle: string;
  service?: string;
  include: CollectorName[];
}

const ALIASES: Record<string, CollectorName> = { k8s: "kubernetes", kube: "kubernetes", pg: "postgres", host: "hosts" };

/** Flags and the section → Inputs; every problem at once, as a usage error (exit 2). */
export function inputsFromFlags(ctx: IncidentContext): Inputs {
  const problems: Problem[] = [];
  const flag = (name: string) => ({ kind: "flag" as const, name: `--${name}` });
  const since = String(ctx.flags.since ?? "");
  const until = typeof ctx.flags.until === "string" ? ctx.flags.until : undefined;
  const now = ctx.deps.now();
  const w = parseWindow(since, until, now);
  for (const p of w.problems) problems.push({ message: p.message, source: flag(p.flag.slice(2)) });
  const maxBytes = parseSize(String(ctx.section.maxBytes));
  if (maxBytes === undefined) problems.push({ message: `max-bytes '${ctx.section.maxBytes}' is not a size (200M, 1G, 512KiB)`, source: flag("max-bytes") });
  const include: CollectorName[] = [];
  // --include sets collectIncident.include (the schema already checked the names); aliases and commas allowed.
  const requested = ctx.section.include as string[];
  for (const raw of requested.flatMap((s) => String(s).split(",")).filter((s) => s.trim())) {
    const name = (ALIASES[raw.trim()] ?? raw.trim()) as CollectorName;
    if (!COLLECTOR_NAMES.includes(name))
      problems.push({
        message: `--include '${raw}' is not a collector; collectors: ${COLLECTOR_NAMES.join(", ")} (k8s for kubernetes)`,
        source: flag("include"),
      });
    else if (!include.includes(name)) include.push(name);
  }
  if (!include.length && !problems.length) problems.push({ message: "--include names no collector", source: flag("include") });
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const bundle = resolve(ctx.deps.cwd, typeof ctx.flags.bundle === "string" ? ctx.flags.bundle : `incident-${ctx.scope.environment}-${stamp}.tar.gz`);
  if (existsSync(bundle))
    problems.push({ message: `bundle ${bundle} already exists: evidence is never overwritten (choose another --bundle)`, source: flag("bundle") });
  else if (!existsSync(dirname(bundle)) || !statSync(dirname(bundle)).isDirectory())
    problems.push({ message: `bundle folder ${dirname(bundle)} does not exist`, source: flag("bundle") });
  const service = typeof ctx.flags.service === "string" && ctx.flags.service ? ctx.flags.service : undefined;
  if (problems.length || !w.window || maxBytes === undefined) throw usageError(problems, "Run 'opsctl collect-incident --help'");
  return { since: w.window.since.toISOString(), until: w.window.until.toISOString(), maxBytes, bundle, ...(service ? { service } : {}), include };
}

/** The collectors of one run, built once per context from its inputs. */
export const collectorsFor = (() => {
  const cache = new WeakMap<RunContext, Promise<Collector[]>>();
  return (ctx: IncidentContext, inputs: Inputs): Promise<Collector[]> => {
    let built = cache.get(ctx);
    if (!built) {
      built = build(ctx, inputs);
      cache.set(ctx, built);
      built.catch(() => cache.delete(ctx));
    }
    return built;
  };
})();

async function build(ctx: IncidentContext, inputs: Inputs): Promise<Collector[]> {
  const k = ctx.section.kubernetes;
  const timeoutMs = 30_000;
  const kube = perRun(async () => {
    const target = await loadKubeTarget({ path: k.kubeconfig, context: k.context, env: ctx.deps.env, cwd: ctx.deps.cwd });
    const port = await ctx.provider("kubeReader", target, { timeoutMs, signal: ctx.deps.signal, phase: () => ctx.phase });
    return { target, port };
  });
  const { collectors, problems } = await buildCollectors({
    section: ctx.section as IncidentConfig,
    include: inputs.include,
    service: inputs.service,
    window: { since: new Date(inputs.since), until: new Date(inputs.until) },
    region: ctx.scope.region,
    env: ctx.deps.env,
    aws: () => ctx.provider("awsEvidence", awsOptions(ctx)),
    kube: () => kube(ctx),
    pgDsn: () => ctx.secret("collectIncident.postgres.dsn"),
    pg: (dsn, o) => ctx.provider("pgEvidence", dsn, o),
  });
  if (problems.length) throw usageError(problems.map((p) => ({ message: p.message })));
  return collectors;
}

/** Error class of a failure, by the collector whose client raised it. */
export function classifyFor(name: CollectorName, e: unknown): Omit<ReadFailure, "read"> {
  if (name === "aws") return classifyAws(e);
  if (name === "kubernetes" && isKubeError(e)) return classifyKube(e);
  if (name === "postgres") return pgErrorClass(e);
  if (name === "hosts") return classifyHost(e);
  return { class: "internal", message: String((e as Error)?.message ?? e) };
}
