import { isKubeError } from "../../../providers/kubernetes/apps.ts";
import { type AccessQuestion, apiPath, type KubeObject, type KubeReadPort } from "../../../providers/kubernetes/core.ts";
import type { Collector, PlannedRead, ProbeResult, ReadFailure, Sink } from "../collect.ts";
import type { Window } from "../window.ts";

export interface KubernetesCollectorOptions {
  port: KubeReadPort;
  namespace: string;
  labelSelector: string;
  window: Window;
  /** Logs of the previous container instance too (after a restart or crash). */
  previousLogs: boolean;
}

// Estimates for the plan: an API object is a few KiB of JSON; a container's log in the
// window is unknown until read, so its bound (its part of the share) is what is shown.
const OBJECT_BYTES = 4000;

export function classifyKube(e: unknown): Omit<ReadFailure, "read"> {
  if (!isKubeError(e)) return { class: "internal", message: String((e as Error)?.message ?? e) };
  // 403 is a permission verdict; 401 (credentials rejected) is a remote failure like an unreachable server.
  const cls = e.status === 403 ? "auth" : e.status === undefined || e.status === 401 || e.status >= 500 || e.status === 429 ? "remote" : "validation";
  return { class: cls, code: e.reason, message: e.message.split("\n")[0] ?? e.reason };
}

interface Discovered {
  pods: KubeObject[];
  containers: { pod: string; container: string; previous: boolean }[];
  configMaps: string[];
  secrets: string[];
}

export function createKubernetesCollector(o: KubernetesCollectorOptions): Collector {
  const ns = o.namespace;
  let found: Promise<Discovered> | undefined;
  const discover = () => {
    found ??= (async () => {
      const pods = await o.port.list(apiPath.pods(ns), { labelSelector: o.labelSelector });
      const containers: Discovered["containers"] = [];
      const cms = new Set<string>();
      const secrets = new Set<string>();
      for (const pod of pods) {
        const name = String(pod.metadata?.name ?? "");
        const spec = (pod.spec ?? {}) as PodSpec;
        const statuses = [
          ...(((pod.status as PodStatus)?.containerStatuses ?? []) as ContainerStatus[]),
          ...(((pod.status as PodStatus)?.initContainerStatuses ?? []) as ContainerStatus[]),
        ];
        for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
          containers.push({ pod: name, container: c.name, previous: false });
          const st = statuses.find((s) => s.name === c.name);
          if (o.previousLogs && (st?.restartCount ?? 0) > 0) containers.push({ pod: name, container: c.name, previous: true });
          for (const e of c.env ?? []) {
            if (e.valueFrom?.configMapKeyRef?.name) cms.add(e.valueFrom.configMapKeyRef.name);
            if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
          }
          for (const f of c.envFrom ?? []) {
            if (f.configMapRef?.name) cms.add(f.configMapRef.name);
            if (f.secretRef?.name) secrets.add(f.secretRef.name);
          }
        }
        for (const v of spec.volumes ?? []) if (v.configMap?.name) cms.add(v.configMap.name);
      }
      return { pods, containers, configMaps: [...cms].sort(), secrets: [...secrets].sort() };
    })();
    return found;
  };
  const win = `${o.window.since.toISOString()}..${o.window.until.toISOString()}`;
  const read = (id: string, call: string, bound: PlannedRead["bound"], estimatedBytes: number): PlannedRead => ({
    id: `kubernetes:${id}`,
    collector: "kubernetes",
    call,
    target: `namespace ${ns}`,
    bound,
    estimatedBytes,
  });

  return {
    name: "kubernetes",
    async plan() {
      const d = await discover();
      const sel = `labelSelector=${o.labelSelector}`;
      return [
        read("deployments", `list apps/v1 deployments ${sel}`, "snapshot", OBJECT_BYTES * 2),
        read("replicasets", `list apps/v1 replicasets ${sel}`, "snapshot", OBJECT_BYTES * 4),
        read("pods", `list v1 pods ${sel} (with status)`, "snapshot", OBJECT_BYTES * d.pods.length),
        read("events", `list v1 events of those objects, ${win}`, "window", 500 * 20),
        ...d.configMaps.map((c) => read(`configmap:${c}`, `get v1 configmap ${c} (referenced by the pods; values redacted by key)`, "snapshot", OBJECT_BYTES)),
        ...d.containers.map((c) =>
          read(
            `log:${c.pod}/${c.container}${c.previous ? ":previous" : ""}`,
            `get pods/log ${c.pod} container=${c.container}${c.previous ? " previous=true" : ""} sinceTime=${o.window.since.toISOString()} (lines after ${o.window.until.toISOString()} dropped)`,
            "window",
            0,
          ),
        ),
      ];
    },
    async probe() {
      // Probes also explain a discovery that was refused: they do not depend on it.
      const d = await discover().catch(() => undefined);
      const asks: AccessQuestion[] = [
        { verb: "list", resource: "deployments", group: "apps", namespace: ns },
        { verb: "list", resource: "replicasets", group: "apps", namespace: ns },
        { verb: "list", resource: "pods", namespace: ns },
        { verb: "list", resource: "events", namespace: ns },
        { verb: "get", resource: "pods", subresource: "log", namespace: ns },
        ...(d?.configMaps.length ? [{ verb: "get", resource: "configmaps", namespace: ns }] : []),
      ];
      const out: ProbeResult[] = [];
      for (const q of asks) {
        const r = await o.port.can(q);
        const what = `${q.verb} ${q.group ? `${q.group}/` : ""}${q.resource}${q.subresource ? `/${q.subresource}` : ""} in ${ns}`;
        out.push({
          collector: "kubernetes",
          name: `SelfSubjectAccessReview ${what}`,
          status: r.allowed ? "passed" : "failed",
          detail: r.allowed ? "allowed" : `denied${r.reason ? `: ${r.reason}` : ""}`,
        });
      }
      return out;
    },
    identity: () => o.port.whoAmI(),
    async knownSecrets() {
      // Secret values are learnt only to redact them; the Secret objects are never written.
      // Without `get secrets` the text rules (shapes, secret-looking names) still apply.
      const d = await discover();
      const values: string[] = [];
      for (const name of d.secrets) {
        const s = await o.port.get(apiPath.secret(ns, name)).catch(() => undefined);
        for (const v of Object.values((s?.data ?? {}) as Record<string, string>)) values.push(Buffer.from(v, "base64").toString("utf8"));
        for (const v of Object.values((s?.stringData ?? {}) as Record<string, string>)) values.push(v);
      }
      return values;
    },
    async collect(sink) {
      const listed = async (path: string, file: string, what: string): Promise<KubeObject[]> => {
        try {
          const items = await o.port.list(path, { labelSelector: o.labelSelector });
          await sink.objects(file, `${what} labelSelector=${o.labelSelector}`, items);
          return items;
        } catch (e) {
          sink.fail(what, e, classifyKube);
          return [];
        }
      };
      const deployments = await listed(apiPath.deployments(ns), "kubernetes/deployments.jsonl", "list apps/v1 deployments");
      const replicaSets = await listed(apiPath.replicaSets(ns), "kubernetes/replicasets.jsonl", "list apps/v1 replicasets");
      let d: Discovered | undefined;
      try {
        d = await discover();
        await sink.objects("kubernetes/pods.jsonl", `list v1 pods labelSelector=${o.labelSelector}`, d.pods);
      } catch (e) {
        sink.fail("list v1 pods", e, classifyKube);
      }
      const names = new Set([...deployments, ...replicaSets, ...(d?.pods ?? [])].map((x) => String(x.metadata?.name ?? "")));
      try {
        const events = (await o.port.list(apiPath.events(ns))).filter(
          (e) => names.has(String((e.involvedObject as { name?: string })?.name ?? "")) && eventInWindow(sink.window, e),
        );
        events.sort((a, b) => (eventSpan(a)?.start ?? 0) - (eventSpan(b)?.start ?? 0));
        await sink.objects("kubernetes/events.jsonl", `list v1 events in ${ns}, involving the service's objects, ${win}`, events);
      } catch (e) {
        sink.fail("list v1 events", e, classifyKube);
      }
      for (const name of d?.configMaps ?? []) {
        try {
          const cm = await o.port.get(apiPath.configMap(ns, name));
          if (cm) await sink.objects(`kubernetes/configmaps/${name}.json`, `get v1 configmap ${name}`, [cm]);
        } catch (e) {
          sink.fail(`get v1 configmap ${name}`, e, classifyKube);
        }
      }
      const logs = d?.containers ?? [];
      for (let i = 0; i < logs.length; i++) {
        const c = logs[i] as Discovered["containers"][number];
        // Each container gets an equal part of what is left; limitBytes makes the server stop there.
        await containerLog(sink, o, c, Math.floor(sink.remaining / (logs.length - i)));
      }
    },
  };
}

async function containerLog(sink: Sink, o: KubernetesCollectorOptions, c: { pod: string; container: string; previous: boolean }, limit: number): Promise<void> {
  const what = `get pods/log ${c.pod} container=${c.container}${c.previous ? " previous=true" : ""}`;
  if (limit <= 0) {
    sink.report.truncated.push({ path: `kubernetes/logs/${c.pod}/${c.container}`, reason: `${sink.shareText()} exhausted: not read` });
    return;
  }
  try {
    const text = await o.port.log(o.namespace, c.pod, { container: c.container, sinceTime: sink.window.since, limitBytes: limit, previous: c.previous });
    const bytes = Buffer.byteLength(text);
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    // limitBytes can end mid-line: a cut last line is dropped, like the sink's own cuts.
    const cut = bytes >= limit;
    if (cut && !text.endsWith("\n")) lines.pop();
    const kept = lines.filter((l) => {
      const t = Date.parse(l.slice(0, l.indexOf(" ")));
      return Number.isNaN(t) || t <= sink.window.until.getTime();
    });
    await sink.text(
      `kubernetes/logs/${c.pod}/${c.container}${c.previous ? ".previous" : ""}.log`,
      `${what} sinceTime=${sink.window.since.toISOString()} limitBytes=${limit}`,
      kept.length ? `${kept.join("\n")}\n` : "",
      {
        ...(cut ? { truncated: `${sink.shareText()}: this container's part (${limit} bytes) reached; later lines not read` } : {}),
      },
    );
  } catch (e) {
    sink.fail(what, e, classifyKube);
  }
}

/**
 * When an event happened, as a span: from its first to its last occurrence (a repeated
 * event keeps both). creationTimestamp (when the API object was written) only when it
 * carries no time of its own.
 */
export function eventSpan(e: KubeObject): { start: number; end: number } | undefined {
  const t = (v: unknown) => (typeof v === "string" && v ? Date.parse(v) : Number.NaN);
  const times = [t(e.firstTimestamp), t(e.eventTime), t(e.lastTimestamp), t((e.series as { lastObservedTime?: string })?.lastObservedTime)].filter(
    (x) => !Number.isNaN(x),
  );
  if (!times.length) {
    const created = t((e.metadata as { creationTimestamp?: string })?.creationTimestamp);
    return Number.isNaN(created) ? undefined : { start: created, end: created };
  }
  return { start: Math.min(...times), end: Math.max(...times) };
}

/** An event is in the window when its span overlaps it. */
export function eventInWindow(w: Window, e: KubeObject): boolean {
  const s = eventSpan(e);
  return Boolean(s && s.start <= w.until.getTime() && s.end >= w.since.getTime());
}

interface EnvVar {
  name: string;
  valueFrom?: { configMapKeyRef?: { name?: string }; secretKeyRef?: { name?: string } };
}
interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
}
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { configMap?: { name?: string } }[];
}
interface ContainerStatus {
  name: string;
  restartCount?: number;
}
interface PodStatus {
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}
