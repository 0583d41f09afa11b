import { createSign, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { peers } from "./peers.ts";

// The real Kubernetes control plane started by `scripts/peers.sh start kube`
// (kube-apiserver, kube-controller-manager, kwok; see scripts/k8s/peers-kube.sh).
// Tests get a fresh namespace each, seeded through the admin identity, and check the
// outcome by reading the server back.

export interface KubePeers {
  url: string;
  version: string;
  caFile: string;
  ca: string;
  adminToken: string;
  /** Static bearer token of opsctl-token-deployer (group opsctl:deployers). */
  deployerToken: string;
  kubeconfigs: { admin: string; mtls: string; token: string; viewer: string };
  clientKey: string;
  saDir: string;
  saSigningKey: string;
  systemNamespace: string;
  node: string;
}

export function kubePeers(): KubePeers {
  const p = peers();
  const need = (k: string): string => {
    const v = p[k];
    if (!v) throw new Error(`the Kubernetes peers are not running (${k} missing): bash scripts/peers.sh start kube`);
    return v;
  };
  if (p.KUBE_CONTROLLERS !== "1" || p.KUBE_KWOK !== "1") {
    throw new Error("kube-controller-manager or kwok is not running: bash scripts/peers.sh start kube");
  }
  const tokenOf = (file: string) => /^\s*token: (\S+)$/m.exec(readFileSync(file, "utf8"))?.[1] ?? "";
  const kubeconfigs = {
    admin: need("KUBE_ADMIN_KUBECONFIG"),
    mtls: need("KUBE_MTLS_KUBECONFIG"),
    token: need("KUBE_TOKEN_KUBECONFIG"),
    viewer: need("KUBE_VIEWER_KUBECONFIG"),
  };
  return {
    url: need("KUBE_API_URL"),
    version: need("KUBE_VERSION"),
    caFile: need("KUBE_CA_CERT"),
    ca: readFileSync(need("KUBE_CA_CERT"), "utf8"),
    adminToken: tokenOf(kubeconfigs.admin),
    deployerToken: tokenOf(kubeconfigs.token),
    kubeconfigs,
    clientKey: readFileSync(need("KUBE_CLIENT_KEY"), "utf8"),
    saDir: need("KUBE_SA_DIR"),
    saSigningKey: need("KUBE_SA_SIGNING_KEY"),
    systemNamespace: need("KUBE_SYSTEM_NAMESPACE"),
    node: need("KUBE_NODE"),
  };
}

export interface Seed {
  name: string;
  labels: Record<string, string>;
  replicas: number;
  containers: { name: string; image: string }[];
}

/** The service the tests deploy: two Deployments labelled app=billing and one that is not. */
export const BILLING: Seed[] = [
  {
    name: "billing-api",
    labels: { app: "billing" },
    replicas: 3,
    containers: [
      { name: "api", image: "registry.example/billing:1.41" },
      { name: "envoy", image: "registry.example/envoy:1.30" },
    ],
  },
  { name: "billing-worker", labels: { app: "billing" }, replicas: 2, containers: [{ name: "worker", image: "registry.example/billing:1.41" }] },
  { name: "ledger", labels: { app: "ledger" }, replicas: 1, containers: [{ name: "ledger", image: "registry.example/ledger:3.0" }] },
];

type Json = Record<string, unknown>;

/** The admin identity (system:masters): seeds, reads back, and plays other writers. */
export class KubeAdmin {
  private readonly namespaces: string[] = [];
  constructor(readonly peers: KubePeers = kubePeers()) {}

  async request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${this.peers.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.peers.adminToken}`, accept: "application/json", "content-type": contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      tls: { ca: this.peers.ca },
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
  }

  async ok(method: string, path: string, body?: unknown, contentType?: string): Promise<Json> {
    const r = await this.request(method, path, body, contentType);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${JSON.stringify(r.json).slice(0, 400)}`);
    return r.json;
  }

  /**
   * A fresh namespace with a name of fixed length (8 characters, like "payments"), so
   * text tables keep their widths and golden files can map it back to one name.
   */
  async namespace(): Promise<string> {
    const ns = `t-${randomBytes(6)
      .toString("base64url")
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "0")
      .slice(0, 6)}`;
    await this.ok("POST", "/api/v1/namespaces", { metadata: { name: ns, labels: { "opsctl.test/e2e": "true" } } });
    this.namespaces.push(ns);
    return ns;
  }

  /** Creates the Deployments and waits until every replica is available (kwok makes pods Ready). */
  async seed(ns: string, seeds: Seed[] = BILLING, o: { progressDeadlineSeconds?: number } = {}): Promise<void> {
    for (const s of seeds) await this.ok("POST", `/apis/apps/v1/namespaces/${ns}/deployments?fieldManager=opsctl-test`, this.manifest(s, o));
    for (const s of seeds) await this.waitRolledOut(ns, s.name);
  }

  manifest(s: Seed, o: { progressDeadlineSeconds?: number } = {}): Json {
    const podLabels = { ...s.labels, "opsctl.test/deployment": s.name };
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: s.name, labels: s.labels },
      spec: {
        replicas: s.replicas,
        ...(o.progressDeadlineSeconds ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
        selector: { matchLabels: podLabels },
        template: {
          metadata: { labels: podLabels },
          // No scheduler runs: the pod names kwok's node itself.
          spec: { nodeName: this.peers.node, containers: s.containers.map((c) => ({ name: c.name, image: c.image })) },
        },
      },
    };
  }

  async deployment(ns: string, name: string): Promise<Json> {
    return this.ok("GET", `/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
  }

  /** Images by container name, per Deployment. */
  async images(ns: string, names: string[] = ["billing-api", "billing-worker", "ledger"]): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const n of names) {
      const d = (await this.deployment(ns, n)) as { spec: { template: { spec: { containers: { name: string; image: string }[] } } } };
      out[n] = Object.fromEntries(d.spec.template.spec.containers.map((c) => [c.name, c.image]));
    }
    return out;
  }

  /** Generation and the field managers of the spec (not of status): a persisted write by opsctl shows in both. */
  async writes(ns: string, name: string): Promise<{ generation: number; managers: string[] }> {
    const d = (await this.deployment(ns, name)) as { metadata: { generation: number; managedFields?: { manager: string; subresource?: string }[] } };
    const spec = (d.metadata.managedFields ?? []).filter((m) => !m.subresource);
    return { generation: d.metadata.generation, managers: [...new Set(spec.map((m) => m.manager))].sort() };
  }

  /** Another writer changes a container image (strategic-merge PATCH as field manager "someone-else"). */
  async setImage(ns: string, name: string, container: string, image: string): Promise<void> {
    await this.ok(
      "PATCH",
      `/apis/apps/v1/namespaces/${ns}/deployments/${name}?fieldManager=someone-else`,
      { spec: { template: { spec: { containers: [{ name: container, image }] } } } },
      "application/strategic-merge-patch+json",
    );
  }

  /** Waits for `kubectl rollout status` to be satisfied (fails after 45 s). */
  async waitRolledOut(ns: string, name: string, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = (await this.deployment(ns, name)) as {
        metadata: { generation: number };
        spec: { replicas: number };
        status: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; readyReplicas?: number; replicas?: number };
      };
      const s = d.status ?? {};
      const want = d.spec.replicas;
      if (
        (s.observedGeneration ?? 0) >= d.metadata.generation &&
        s.updatedReplicas === want &&
        s.readyReplicas === want &&
        s.availableReplicas === want &&
        s.replicas === want
      )
        return;
      if (Date.now() > deadline) throw new Error(`${ns}/${name} not rolled out after ${timeoutMs} ms: ${JSON.stringify(s)}`);
      await Bun.sleep(200);
    }
  }

  /**
   * A ValidatingAdmissionPolicy (GA since 1.30) bound to one namespace: no container
   * image may end in `suffix` (e.g. "-unsigned"). Returns a function that removes it.
   */
  async denyImages(ns: string, suffix: string): Promise<() => Promise<void>> {
    const name = `deny-${ns}`;
    await this.ok("POST", "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", {
      metadata: { name },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] }] },
        validations: [
          {
            expression: `object.spec.template.spec.containers.all(c, !c.image.endsWith('${suffix}'))`,
            message: `images tagged *${suffix} are not allowed in this cluster`,
          },
        ],
      },
    });
    await this.ok("POST", "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings", {
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } },
      },
    });
    // The policy is enforced once the API server's informer has it: probe with a dry run.
    const probe = this.manifest({
      name: "vap-probe",
      labels: { app: "probe" },
      replicas: 1,
      containers: [{ name: "c", image: `registry.example/x:1${suffix}` }],
    });
    const deadline = Date.now() + 20_000;
    while ((await this.request("POST", `/apis/apps/v1/namespaces/${ns}/deployments?dryRun=All`, probe)).status !== 422) {
      if (Date.now() > deadline) throw new Error("the ValidatingAdmissionPolicy was not enforced within 20 s");
      await Bun.sleep(200);
    }
    return async () => {
      await this.request("DELETE", `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${name}`);
      await this.request("DELETE", `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}`);
    };
  }

  /** Deletes every namespace this instance created (the namespace controller removes their content). */
  async cleanup(): Promise<void> {
    for (const ns of this.namespaces.splice(0)) await this.request("DELETE", `/api/v1/namespaces/${ns}`);
  }

  /**
   * A service-account token signed with the cluster's real signing key, with the given
   * expiry: the server rejects it only for what its claims say (used for "expired").
   */
  async serviceAccountJwt(sa: string, expiresInSeconds: number): Promise<string> {
    const ns = this.peers.systemNamespace;
    const acct = (await this.ok("GET", `/api/v1/namespaces/${ns}/serviceaccounts/${sa}`)) as { metadata: { uid: string } };
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: ["https://kubernetes.default.svc"],
      iss: "https://kubernetes.default.svc",
      sub: `system:serviceaccount:${ns}:${sa}`,
      iat: now - 7200,
      nbf: now - 7200,
      exp: now + expiresInSeconds,
      "kubernetes.io": { namespace: ns, serviceaccount: { name: sa, uid: acct.metadata.uid } },
    };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const input = `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}`;
    const sig = createSign("RSA-SHA256").update(input).sign(readFileSync(this.peers.saSigningKey, "utf8")).toString("base64url");
    return `${input}.${sig}`;
  }
}

export type KubeAuth = "mtls" | "token" | "viewer";

/**
 * A kubeconfig in `dir` for one identity, copied from the ones peers.sh wrote, with the
 * test's namespace as the context's namespace and a second context "elsewhere".
 */
export function writeKubeconfig(dir: string, p: KubePeers, auth: KubeAuth, o: { server?: string; token?: string } = {}): string {
  let text = readFileSync(p.kubeconfigs[auth], "utf8");
  if (o.server) text = text.replace(`server: ${p.url}`, `server: ${o.server}`);
  if (o.token) text = text.replace(/^(\s*)(token|tokenFile): .*$/m, `$1token: ${o.token}`);
  text = text.replace(
    /^contexts:\n- name: (\S+)\n {2}context:\n {4}cluster: (\S+)\n {4}user: (\S+)\n/m,
    (_m, ctx, cluster, user) =>
      `contexts:\n- name: ${ctx}\n  context:\n    cluster: ${cluster}\n    user: ${user}\n- name: elsewhere\n  context:\n    cluster: ${cluster}\n    user: ${user}\n    namespace: elsewhere\n`,
  );
  const path = join(dir, `kubeconfig-${auth}`);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}
