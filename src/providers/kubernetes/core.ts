import type { Phase } from "../../core/providers.ts";
import { KubeError } from "./apps.ts";
import type { KubeTarget } from "./kubeconfig.ts";
import { createTransport, type KubeFetch } from "./transport.ts";

// Read-only Kubernetes calls for evidence: lists as the API returns them (the bundle is
// evidence, not a summary), container logs bounded by time and bytes, and the
// authorization questions the plan asks before anything is read.

export type KubeObject = Record<string, unknown> & { metadata?: { name?: string; namespace?: string; [k: string]: unknown } };

export interface AccessQuestion {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  namespace: string;
}

export interface LogQuery {
  container: string;
  sinceTime: Date;
  limitBytes: number;
  previous: boolean;
}

export interface KubeReadPort {
  readonly server: string;
  /** Every item of a namespaced list, following `continue` pages of `limit` items. */
  list(path: string, o?: { labelSelector?: string; limit?: number }): Promise<KubeObject[]>;
  get(path: string): Promise<KubeObject | undefined>;
  /** Container log text with RFC 3339 timestamps on every line. */
  log(namespace: string, pod: string, q: LogQuery): Promise<string>;
  /** SelfSubjectAccessReview: may the current identity do this? */
  can(q: AccessQuestion): Promise<{ allowed: boolean; reason: string }>;
  /** SelfSubjectReview: the user name the server sees for our credentials. */
  whoAmI(): Promise<string>;
}

export const apiPath = {
  deployments: (ns: string) => `/apis/apps/v1/namespaces/${enc(ns)}/deployments`,
  replicaSets: (ns: string) => `/apis/apps/v1/namespaces/${enc(ns)}/replicasets`,
  pods: (ns: string) => `/api/v1/namespaces/${enc(ns)}/pods`,
  events: (ns: string) => `/api/v1/namespaces/${enc(ns)}/events`,
  configMap: (ns: string, name: string) => `/api/v1/namespaces/${enc(ns)}/configmaps/${enc(name)}`,
  secret: (ns: string, name: string) => `/api/v1/namespaces/${enc(ns)}/secrets/${enc(name)}`,
};

export function createKubeReader(target: KubeTarget, o: { timeoutMs: number; signal?: AbortSignal; phase?: () => Phase }): KubeReadPort {
  // The SDK's guard: whatever this module sends, the transport refuses a write outside apply.
  const send = createTransport(target, o.timeoutMs, o.phase);
  const json = async (method: string, path: string, body?: unknown) => {
    const text = await request(send, method, path, body === undefined ? undefined : JSON.stringify(body), o.signal);
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new KubeError(`${method} ${path}: answer is not JSON`, "BadResponse");
    }
  };
  return {
    server: target.server,
    async list(path, q = {}) {
      const out: KubeObject[] = [];
      let cont: string | undefined;
      do {
        const params = new URLSearchParams({ limit: String(q.limit ?? 500) });
        if (q.labelSelector) params.set("labelSelector", q.labelSelector);
        if (cont) params.set("continue", cont);
        const body = await json("GET", `${path}?${params}`);
        out.push(...((body.items as KubeObject[]) ?? []));
        cont = ((body.metadata as { continue?: string }) ?? {}).continue || undefined;
      } while (cont);
      return out;
    },
    async get(path) {
      try {
        return (await json("GET", path)) as KubeObject;
      } catch (e) {
        if ((e as KubeError).status === 404) return undefined;
        throw e;
      }
    },
    async log(ns, pod, q) {
      const params = new URLSearchParams({
        container: q.container,
        timestamps: "true",
        sinceTime: q.sinceTime.toISOString().replace(/\.\d{3}Z$/, "Z"),
        limitBytes: String(Math.max(1, q.limitBytes)),
      });
      if (q.previous) params.set("previous", "true");
      return request(send, "GET", `${apiPath.pods(ns)}/${enc(pod)}/log?${params}`, undefined, o.signal);
    },
    async can(q) {
      const body = await json("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { namespace: q.namespace, verb: q.verb, resource: q.resource, group: q.group ?? "", subresource: q.subresource ?? "" } },
      });
      const st = (body.status ?? {}) as { allowed?: boolean; reason?: string; evaluationError?: string };
      return { allowed: st.allowed === true, reason: st.reason || st.evaluationError || "" };
    },
    async whoAmI() {
      const body = await json("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
        apiVersion: "authentication.k8s.io/v1",
        kind: "SelfSubjectReview",
      });
      return String(((body.status as { userInfo?: { username?: string } })?.userInfo ?? {}).username ?? "");
    },
  };
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

async function request(send: KubeFetch, method: string, path: string, body: string | undefined, signal?: AbortSignal): Promise<string> {
  let res: Response;
  try {
    res = await send(path, { method, ...(body !== undefined ? { body, contentType: "application/json" } : {}), ...(signal ? { signal } : {}) });
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
    const code = err.code ?? err.cause?.code ?? (err.name === "TimeoutError" ? "TimeoutError" : (err.name ?? "Error"));
    throw new KubeError(`${code}${err.message && err.message !== code ? ` (${err.message.split("\n")[0]})` : ""}`, code);
  }
  const text = await res.text();
  if (!res.ok) {
    let status: { message?: string; reason?: string } = {};
    try {
      status = JSON.parse(text);
    } catch {}
    throw new KubeError(status.message || text.slice(0, 300) || res.statusText, status.reason || String(res.status), res.status);
  }
  return text;
}
