import type { Phase } from "../../core/providers.ts";
import type { KubeTarget } from "./kubeconfig.ts";
import { createTransport, type KubeFetch } from "./transport.ts";

/** The parts of an apps/v1 Deployment that deploy reads. */
export interface Deployment {
  name: string;
  namespace: string;
  resourceVersion: string;
  generation: number;
  labels: Record<string, string>;
  replicas: number;
  strategy: string;
  containers: { name: string; image: string }[];
  status: RolloutStatus;
}

export interface RolloutStatus {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
}

/**
 * A failed API call: `status` is the HTTP status (absent when the server was not
 * reached), `reason` the Status object's reason (Invalid, Conflict, Forbidden …).
 */
export class KubeError extends Error {
  readonly status?: number;
  readonly reason: string;
  constructor(message: string, reason: string, status?: number) {
    super(message);
    this.name = "KubeError";
    this.reason = reason;
    this.status = status;
  }
}

export function isKubeError(e: unknown): e is KubeError {
  return (e as { name?: string })?.name === "KubeError" && typeof (e as { reason?: unknown }).reason === "string";
}

export interface AppsPort {
  readonly server: string;
  listDeployments(namespace: string, labelSelector: string): Promise<Deployment[]>;
  getDeployment(namespace: string, name: string): Promise<Deployment | undefined>;
  /** Strategic-merge PATCH with field manager opsctl; dryRun sends dryRun=All (validated by the server, never persisted). */
  patchDeployment(namespace: string, name: string, patch: unknown, o: { dryRun: boolean }): Promise<Deployment>;
}

export const FIELD_MANAGER = "opsctl";
export const PATCH_TYPE = "application/strategic-merge-patch+json";

export function createApps(target: KubeTarget, o: { timeoutMs: number; signal?: AbortSignal; phase?: () => Phase }): AppsPort {
  const send = createTransport(target, o.timeoutMs, o.phase);
  const base = (ns: string) => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments`;
  return {
    server: target.server,
    async listDeployments(ns, selector) {
      const body = (await call(send, "GET", `${base(ns)}?labelSelector=${encodeURIComponent(selector)}`, undefined, o.signal)) as { items?: unknown[] };
      return (body.items ?? []).map(toDeployment);
    },
    async getDeployment(ns, name) {
      try {
        return toDeployment(await call(send, "GET", `${base(ns)}/${encodeURIComponent(name)}`, undefined, o.signal));
      } catch (e) {
        if (isKubeError(e) && e.status === 404) return undefined;
        throw e;
      }
    },
    async patchDeployment(ns, name, patch, { dryRun }) {
      const q = `fieldManager=${FIELD_MANAGER}${dryRun ? "&dryRun=All" : ""}`;
      return toDeployment(await call(send, "PATCH", `${base(ns)}/${encodeURIComponent(name)}?${q}`, JSON.stringify(patch), o.signal));
    },
  };
}

async function call(send: KubeFetch, method: string, path: string, body: string | undefined, signal?: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await send(path, { method, ...(body !== undefined ? { body, contentType: PATCH_TYPE } : {}), ...(signal ? { signal } : {}) });
  } catch (e) {
    const err = e as { name?: string; code?: unknown; message?: string; cause?: { code?: unknown } };
    // A timeout is a DOMException whose `code` is the number 23: only a string code names the failure.
    const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    const code = str(err.code) ?? str(err.cause?.code) ?? str(err.name) ?? "Error";
    throw new KubeError(`${code}${err.message && err.message !== code ? ` (${err.message.split("\n")[0]})` : ""}`, code);
  }
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    // The API server answers failures with a Status object; a proxy in between may not.
    const message = typeof json?.message === "string" ? json.message : text.slice(0, 300) || res.statusText;
    const reason = typeof json?.reason === "string" && json.reason ? json.reason : String(res.status);
    throw new KubeError(message, reason, res.status);
  }
  if (!json) throw new KubeError(`${method} ${path}: answer is not JSON`, "BadResponse", res.status);
  return json;
}

// biome-ignore lint/suspicious/noExplicitAny: the API object is read field by field with defaults
function toDeployment(raw: any): Deployment {
  const spec = raw?.spec ?? {};
  const st = raw?.status ?? {};
  const strategy = spec.strategy ?? {};
  const ru = strategy.rollingUpdate;
  return {
    name: String(raw?.metadata?.name ?? ""),
    namespace: String(raw?.metadata?.namespace ?? ""),
    resourceVersion: String(raw?.metadata?.resourceVersion ?? ""),
    generation: Number(raw?.metadata?.generation ?? 0),
    labels: raw?.metadata?.labels ?? {},
    replicas: Number(spec.replicas ?? 1),
    strategy:
      (strategy.type ?? "RollingUpdate") === "RollingUpdate"
        ? `RollingUpdate maxSurge=${ru?.maxSurge ?? "25%"} maxUnavailable=${ru?.maxUnavailable ?? "25%"}`
        : String(strategy.type),
    containers: ((spec.template?.spec?.containers ?? []) as { name: string; image: string }[]).map((c) => ({ name: c.name, image: c.image })),
    status: {
      observedGeneration: Number(st.observedGeneration ?? 0),
      replicas: Number(st.replicas ?? 0),
      updatedReplicas: Number(st.updatedReplicas ?? 0),
      readyReplicas: Number(st.readyReplicas ?? 0),
      availableReplicas: Number(st.availableReplicas ?? 0),
      conditions: st.conditions ?? [],
    },
  };
}
