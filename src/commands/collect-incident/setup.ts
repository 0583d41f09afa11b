import { parseDuration } from "../../core/duration.ts";
import type { AwsEvidencePort } from "../../providers/aws/evidence.ts";
import type { KubeReadPort } from "../../providers/kubernetes/core.ts";
import type { KubeTarget } from "../../providers/kubernetes/kubeconfig.ts";
import type { PgEvidencePort } from "../../providers/postgres/evidence.ts";
import type { Collector, CollectorName } from "./collect.ts";
import { createAwsCollector } from "./collectors/aws.ts";
import { createHostsCollector } from "./collectors/hosts.ts";
import { createKubernetesCollector } from "./collectors/kubernetes.ts";
import { createPostgresCollector } from "./collectors/postgres.ts";
import type { IncidentConfig } from "./config.ts";
import type { Window } from "./window.ts";

/** What building the collectors needs from the run: resolved inputs and client factories. */
export interface SetupInput {
  section: IncidentConfig;
  include: CollectorName[];
  service: string | undefined;
  window: Window;
  region: string | undefined;
  env: Record<string, string | undefined>;
  aws: () => Promise<AwsEvidencePort>;
  kube: () => Promise<{ target: KubeTarget; port: KubeReadPort }>;
  /** The PostgreSQL DSN (a secret, resolved at use); undefined when not configured. */
  pgDsn: () => string | undefined;
  pg: (dsn: string, o: { connectTimeoutSeconds: number; statementTimeoutMs: number }) => Promise<PgEvidencePort>;
}

/** A collector that cannot be built from the config, and why (a usage problem, exit 2). */
export interface SetupProblem {
  collector: CollectorName;
  key: string;
  message: string;
}

/** {service} in config strings; without --service such a value is a usage problem. */
export function substitute(value: string, service: string | undefined): string | undefined {
  if (!value.includes("{service}")) return value;
  return service === undefined ? undefined : value.split("{service}").join(service);
}

export async function buildCollectors(i: SetupInput): Promise<{ collectors: Collector[]; problems: SetupProblem[] }> {
  const problems: SetupProblem[] = [];
  const collectors: Collector[] = [];
  const sub = (collector: CollectorName, key: string, value: string) => {
    const out = substitute(value, i.service);
    if (out === undefined) problems.push({ collector, key, message: `collectIncident.${key} '${value}' needs --service (it contains {service})` });
    return out ?? "";
  };
  const s = i.section;
  for (const name of i.include) {
    if (name === "aws") {
      const tags = Object.fromEntries(Object.entries(s.aws?.tags ?? {}).map(([k, v]) => [k, sub("aws", `aws.tags.${k}`, v)]));
      const logGroups = (s.logGroups ?? []).map((g, n) => sub("aws", `logGroups[${n}]`, g));
      if (!i.region) problems.push({ collector: "aws", key: "region", message: "the aws collector needs a region (--region or region in config)" });
      if (!Object.keys(tags).length)
        problems.push({ collector: "aws", key: "aws.tags", message: "collectIncident.aws.tags is empty: every instance in the account would match" });
      collectors.push(createAwsCollector({ port: await i.aws(), window: i.window, service: i.service ?? "", tags, logGroups, region: i.region ?? "" }));
    } else if (name === "kubernetes") {
      const k = s.kubernetes ?? {};
      const selector = sub("kubernetes", "kubernetes.labelSelector", k.labelSelector ?? "");
      if (!selector)
        problems.push({
          collector: "kubernetes",
          key: "kubernetes.labelSelector",
          message: "collectIncident.kubernetes.labelSelector is empty: it would select the whole namespace",
        });
      const { target, port } = await i.kube();
      collectors.push(
        createKubernetesCollector({
          port,
          namespace: k.namespace ?? target.namespace ?? "default",
          labelSelector: selector,
          window: i.window,
          previousLogs: k.previousLogs !== false,
        }),
      );
    } else if (name === "postgres") {
      const p = s.postgres ?? {};
      const dsn = i.pgDsn();
      if (!dsn) {
        problems.push({ collector: "postgres", key: "postgres.dsn", message: "collectIncident.postgres.dsn is not set (or leave postgres out of --include)" });
        continue;
      }
      const timeouts = { connectTimeoutSeconds: 10, statementTimeoutMs: parseDuration(p.statementTimeout ?? "10s") ?? 10_000 };
      collectors.push(
        createPostgresCollector({
          connect: () => i.pg(dsn, timeouts),
          target: dsnTarget(dsn),
          longTransactionMs: parseDuration(p.longTransaction ?? "5m") ?? 300_000,
        }),
      );
    } else {
      const h = s.hosts ?? {};
      const files = (h.files ?? []).map((f, n) => ({ path: sub("hosts", `hosts.files[${n}].path`, f.path), filter: f.filter ?? ("time" as const) }));
      for (const [n, f] of files.entries()) {
        if (!f.path.startsWith("/"))
          problems.push({ collector: "hosts", key: `hosts.files[${n}].path`, message: `collectIncident.hosts.files[${n}].path '${f.path}' must be absolute` });
      }
      const commands = (h.commands ?? []).map((c) => ({ name: c.name, argv: c.argv, timeoutMs: parseDuration(c.timeout ?? "30s") ?? 30_000 }));
      if (!files.length && !commands.length) {
        problems.push({ collector: "hosts", key: "hosts", message: "collectIncident.hosts lists no files or commands (or leave hosts out of --include)" });
        continue;
      }
      collectors.push(createHostsCollector({ files, commands, env: i.env }));
    }
  }
  return { collectors, problems };
}

/** host:port/database of a DSN, never its password: this is what plans and manifests show. */
export function dsnTarget(dsn: string): string {
  try {
    const u = new URL(dsn);
    return `${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname || "/"}`;
  } catch {
    const kv = Object.fromEntries([...dsn.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    return `${kv.host ?? "localhost"}${kv.port ? `:${kv.port}` : ""}/${kv.dbname ?? ""}`;
  }
}
