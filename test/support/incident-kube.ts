import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { peers } from "./peers.ts";

// The real Kubernetes control plane of `scripts/peers.sh start kube` (kube-apiserver,
// kube-controller-manager, kwok) for collect-incident: a namespace with the service's
// Deployment, a Secret and a ConfigMap its pods reference, Events, and container logs
// that kwok serves from the files named by KUBE_POD_LOGS / KUBE_POD_PREVIOUS_LOGS.

export interface KubeEnv {
  url: string;
  ca: string;
  adminToken: string;
  adminKubeconfig: string;
  viewerKubeconfig: string;
  node: string;
  podLogs: string;
  previousLogs: string;
}

export function kubeEnv(): KubeEnv {
  const p = peers();
  const need = (k: string): string => {
    const v = p[k];
    if (!v) throw new Error(`the Kubernetes peers are not running (${k} missing): bash scripts/peers.sh start kube`);
    return v;
  };
  if (p.KUBE_KWOK !== "1" || p.KUBE_CONTROLLERS !== "1") throw new Error("kube-controller-manager or kwok is not running: bash scripts/peers.sh start kube");
  const adminKubeconfig = need("KUBE_ADMIN_KUBECONFIG");
  return {
    url: need("KUBE_API_URL"),
    ca: readFileSync(need("KUBE_CA_CERT"), "utf8"),
    adminToken: /^\s*token: (\S+)$/m.exec(readFileSync(adminKubeconfig, "utf8"))?.[1] ?? "",
    adminKubeconfig,
    viewerKubeconfig: need("KUBE_VIEWER_KUBECONFIG"),
    node: need("KUBE_NODE"),
    podLogs: need("KUBE_POD_LOGS"),
    previousLogs: need("KUBE_POD_PREVIOUS_LOGS"),
  };
}

type Json = Record<string, unknown>;

export class IncidentKube {
  constructor(readonly env: KubeEnv = kubeEnv()) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${this.env.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.env.adminToken}`, accept: "application/json", "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      tls: { ca: this.env.ca },
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
  }

  async ok(method: string, path: string, body?: unknown): Promise<Json> {
    const r = await this.request(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
    return r.json;
  }

  async namespace(): Promise<string> {
    const ns = `ci-${randomBytes(4).toString("hex")}`;
    await this.ok("POST", "/api/v1/namespaces", { metadata: { name: ns } });
    return ns;
  }

  /**
   * The service `checkout` (2 replicas, label app=checkout) and a neighbour `other`; the
   * pods read a Secret (env and envFrom) and a ConfigMap, and carry a literal secret env.
   */
  async seed(ns: string, c: { secretValue: string; envValue: string; configMapDsnPassword: string }): Promise<void> {
    await this.ok("POST", `/api/v1/namespaces/${ns}/secrets`, { metadata: { name: "db-creds" }, stringData: { password: c.secretValue } });
    await this.ok("POST", `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: "app-config" },
      data: { DATABASE_URL: `postgres://app:${c.configMapDsnPassword}@db.internal:5432/app`, LOG_LEVEL: "debug" },
    });
    const deployment = (name: string, env: Json[]) => ({
      metadata: { name, labels: { app: name } },
      spec: {
        replicas: name === "checkout" ? 2 : 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            nodeName: this.env.node,
            containers: [{ name: "app", image: `registry.example/${name}:1.0`, env, envFrom: [{ configMapRef: { name: "app-config" } }] }],
          },
        },
      },
    });
    await this.ok(
      "POST",
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      deployment("checkout", [
        { name: "DB_PASSWORD", value: c.envValue },
        { name: "LOG_LEVEL", value: "info" },
        { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "db-creds", key: "password" } } },
      ]),
    );
    await this.ok("POST", `/apis/apps/v1/namespaces/${ns}/deployments`, deployment("other", []));
    await this.waitPods(ns, "app=checkout", 2);
  }

  async pods(ns: string, selector: string): Promise<{ name: string; phase: string }[]> {
    const r = (await this.ok("GET", `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`)) as { items: Json[] };
    return r.items.map((p) => ({ name: String((p.metadata as Json).name), phase: String((p.status as Json)?.phase ?? "") }));
  }

  async waitPods(ns: string, selector: string, n: number, timeoutMs = 60_000): Promise<string[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const pods = await this.pods(ns, selector);
      if (pods.length === n && pods.every((p) => p.phase === "Running")) return pods.map((p) => p.name);
      if (Date.now() > end) throw new Error(`pods ${selector} in ${ns} not running: ${JSON.stringify(pods)}`);
      await Bun.sleep(250);
    }
  }

  /** A core/v1 Event about an object, at a given time (what the kubelet or a controller would record). */
  async event(ns: string, o: { name: string; kind: string; object: string; at: Date; reason: string; message: string }): Promise<void> {
    await this.ok("POST", `/api/v1/namespaces/${ns}/events`, {
      metadata: { name: o.name },
      involvedObject: { kind: o.kind, name: o.object, namespace: ns },
      reason: o.reason,
      message: o.message,
      type: "Warning",
      firstTimestamp: o.at.toISOString().replace(/\.\d+Z$/, "Z"),
      lastTimestamp: o.at.toISOString().replace(/\.\d+Z$/, "Z"),
      count: 1,
      source: { component: "opsctl-test" },
    });
  }

  /** What every container "printed" (CRI log lines), current and previous instance. */
  writeLogs(current: { at: Date; line: string }[], previous: { at: Date; line: string }[] = []): void {
    const cri = (xs: { at: Date; line: string }[]) => xs.map((x) => `${x.at.toISOString()} stdout F ${x.line}\n`).join("");
    writeFileSync(this.env.podLogs, cri(current));
    writeFileSync(this.env.previousLogs, cri(previous));
  }

  /** Marks a container as restarted, so its previous instance's logs are collected too. */
  async restarted(ns: string, pod: string): Promise<void> {
    const p = await this.ok("GET", `/api/v1/namespaces/${ns}/pods/${pod}`);
    const status = p.status as { containerStatuses: Json[] };
    status.containerStatuses = status.containerStatuses.map((c) => ({ ...c, restartCount: 1, lastState: { terminated: { exitCode: 1, reason: "Error" } } }));
    await this.ok("PUT", `/api/v1/namespaces/${ns}/pods/${pod}/status`, p);
  }

  async deleteNamespace(ns: string): Promise<void> {
    await this.request("DELETE", `/api/v1/namespaces/${ns}`);
  }
}
