import type { KubeCerts } from "./kube-certs.ts";

// A FAKE Kubernetes API server: no real API server can run on this machine, so this
// implements only the REST paths opsctl uses (list/get/strategic-merge PATCH of
// apps/v1 Deployments) with the semantics opsctl relies on: dryRun=All validates and
// never persists; invalid specs and images an "admission webhook" refuses are 422;
// a stale metadata.resourceVersion is 409; a rollout progresses over about a second
// or two, or stalls with ProgressDeadlineExceeded. It serves HTTPS with client
// certificates (mTLS), HTTPS with a bearer token, and plain HTTP with a token.

export interface FakeDeploymentSeed {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  replicas: number;
  containers: { name: string; image: string }[];
}

interface Stored {
  seed: FakeDeploymentSeed;
  generation: number;
  resourceVersion: number;
  rolloutStart: number;
  stalls: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  dryRun: boolean;
  fieldManager?: string;
  body?: unknown;
}

export const FAKE_TOKEN = "fake-kube-token-4f9c2e71d0";

export class FakeKubeApiServer {
  readonly deployments = new Map<string, Stored>();
  readonly requests: RequestRecord[] = [];
  /** Images the fake admission webhook refuses (in dry run and for real). */
  readonly rejectImages = new Set<string>();
  /** Images whose rollout never finishes: ProgressDeadlineExceeded after stallAfterMs. */
  readonly stallImages = new Set<string>();
  /** The next N persisted PATCHes answer 409 Conflict, as if another writer got in first. */
  conflicts = 0;
  stepMs = 300;
  stallAfterMs = 1200;
  private servers: ReturnType<typeof Bun.serve>[] = [];
  urls = { mtls: "", tls: "", http: "" };

  start(certs: KubeCerts): this {
    const handler = (req: Request) => this.handle(req);
    const tls = { cert: certs.serverCert, key: certs.serverKey };
    // mTLS: the TLS layer refuses clients without a certificate the CA signed.
    const mtls = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler, tls: { ...tls, ca: certs.ca, requestCert: true, rejectUnauthorized: true } });
    const tok = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => this.withToken(r), tls });
    const http = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => this.withToken(r) });
    this.servers = [mtls, tok, http];
    this.urls = { mtls: `https://127.0.0.1:${mtls.port}`, tls: `https://127.0.0.1:${tok.port}`, http: `http://127.0.0.1:${http.port}` };
    return this;
  }

  stop(): void {
    for (const s of this.servers) s.stop(true);
  }

  reset(seeds: FakeDeploymentSeed[]): void {
    this.deployments.clear();
    this.requests.length = 0;
    this.rejectImages.clear();
    this.stallImages.clear();
    this.conflicts = 0;
    for (const s of seeds)
      this.deployments.set(`${s.namespace}/${s.name}`, { seed: structuredClone(s), generation: 1, resourceVersion: 100, rolloutStart: 0, stalls: false });
  }

  image(ns: string, name: string, container: string): string | undefined {
    return this.deployments.get(`${ns}/${name}`)?.seed.containers.find((c) => c.name === container)?.image;
  }

  /** PATCHes that were persisted (not dry runs). */
  persistedPatches(): RequestRecord[] {
    return this.requests.filter((r) => r.method === "PATCH" && !r.dryRun);
  }

  private withToken(req: Request): Response | Promise<Response> {
    if (req.headers.get("authorization") !== `Bearer ${FAKE_TOKEN}`) return status(401, "Unauthorized", "Unauthorized");
    return this.handle(req);
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments(?:\/([^/]+))?$/.exec(url.pathname);
    const dryRunParam = url.searchParams.get("dryRun");
    const body = req.method === "PATCH" ? await req.text() : undefined;
    this.requests.push({
      method: req.method,
      path: url.pathname,
      dryRun: dryRunParam === "All",
      ...(url.searchParams.get("fieldManager") ? { fieldManager: url.searchParams.get("fieldManager") as string } : {}),
      ...(body ? { body: JSON.parse(body) } : {}),
    });
    if (!m) return status(404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
    const ns = decodeURIComponent(m[1] as string);
    const name = m[2] ? decodeURIComponent(m[2]) : undefined;
    if (!name) {
      if (req.method !== "GET") return status(405, "MethodNotAllowed", "method not allowed");
      const selector = parseSelector(url.searchParams.get("labelSelector") ?? "");
      if (!selector) return status(400, "BadRequest", `unable to parse requirement: ${url.searchParams.get("labelSelector")}`);
      const items = [...this.deployments.values()]
        .filter((d) => d.seed.namespace === ns && Object.entries(selector).every(([k, v]) => d.seed.labels[k] === v))
        .map((d) => this.render(d));
      return json(200, { kind: "DeploymentList", apiVersion: "apps/v1", metadata: { resourceVersion: "999" }, items });
    }
    const stored = this.deployments.get(`${ns}/${name}`);
    if (!stored) return status(404, "NotFound", `deployments.apps "${name}" not found`);
    if (req.method === "GET") return json(200, this.render(stored));
    if (req.method !== "PATCH") return status(405, "MethodNotAllowed", "method not allowed");
    if (req.headers.get("content-type") !== "application/strategic-merge-patch+json") return status(415, "UnsupportedMediaType", "unsupported patch type");
    if (dryRunParam !== null && dryRunParam !== "All") return status(400, "BadRequest", `Invalid dryRun value: ${dryRunParam}`);
    return this.patch(stored, JSON.parse(body ?? "{}"), dryRunParam === "All");
  }

  private patch(stored: Stored, patch: PatchBody, dryRun: boolean): Response {
    const rv = patch.metadata?.resourceVersion;
    if (rv !== undefined && rv !== String(stored.resourceVersion)) {
      return status(
        409,
        "Conflict",
        `Operation cannot be fulfilled on deployments.apps "${stored.seed.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    if (!dryRun && this.conflicts > 0) {
      this.conflicts--;
      stored.resourceVersion++;
      return status(
        409,
        "Conflict",
        `Operation cannot be fulfilled on deployments.apps "${stored.seed.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const next = structuredClone(stored.seed.containers);
    for (const [i, c] of (patch.spec?.template?.spec?.containers ?? []).entries()) {
      if (!c.name) return status(422, "Invalid", `Deployment.apps "${stored.seed.name}" is invalid: spec.template.spec.containers[${i}].name: Required value`);
      const existing = next.find((x) => x.name === c.name);
      if (existing) existing.image = c.image ?? existing.image;
      else next.push({ name: c.name, image: c.image ?? "" });
    }
    for (const [i, c] of next.entries()) {
      if (!c.image || /\s/.test(c.image) || c.image !== c.image.trim()) {
        return status(
          422,
          "Invalid",
          `Deployment.apps "${stored.seed.name}" is invalid: spec.template.spec.containers[${i}].image: Invalid value: "${c.image}"`,
        );
      }
      if (this.rejectImages.has(c.image)) {
        return status(422, "Invalid", `admission webhook "image-policy.fake.example" denied the request: image ${c.image} is not from an allowed registry`);
      }
    }
    const changed = JSON.stringify(next) !== JSON.stringify(stored.seed.containers);
    const result: Stored = { ...stored, seed: { ...stored.seed, containers: next } };
    if (!dryRun && changed) {
      stored.seed.containers = next;
      stored.generation++;
      stored.resourceVersion++;
      stored.rolloutStart = Date.now();
      stored.stalls = next.some((c) => this.stallImages.has(c.image));
      return json(200, this.render(stored));
    }
    if (changed) result.generation = stored.generation + 1;
    return json(200, this.render(result));
  }

  /** Status is computed from the time since the last template change: the "controller". */
  private render(d: Stored) {
    const n = d.seed.replicas;
    const elapsed = Date.now() - d.rolloutStart;
    const steps = d.rolloutStart ? Math.floor(elapsed / this.stepMs) : n + 2;
    const observed = steps >= 1 ? d.generation : d.generation - 1;
    let updated = Math.min(n, Math.max(0, steps - 1));
    let available = updated;
    const conditions = [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." }];
    let progressing = {
      type: "Progressing",
      status: "True",
      reason: "NewReplicaSetAvailable",
      message: `ReplicaSet "${d.seed.name}-${d.generation}" has successfully progressed.`,
    };
    if (d.stalls) {
      updated = Math.min(n, 1);
      available = 0;
      if (elapsed >= this.stallAfterMs) {
        progressing = {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: `ReplicaSet "${d.seed.name}-${d.generation}" has timed out progressing.`,
        };
      } else progressing = { ...progressing, reason: "ReplicaSetUpdated", message: `ReplicaSet "${d.seed.name}-${d.generation}" is progressing.` };
    }
    const oldLeft = d.stalls ? n : n - updated;
    return {
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: {
        name: d.seed.name,
        namespace: d.seed.namespace,
        labels: d.seed.labels,
        generation: d.generation,
        resourceVersion: String(d.resourceVersion),
        uid: `uid-${d.seed.name}`,
      },
      spec: {
        replicas: n,
        selector: { matchLabels: d.seed.labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
        template: { metadata: { labels: d.seed.labels }, spec: { containers: d.seed.containers } },
      },
      status: {
        observedGeneration: observed,
        replicas: updated + oldLeft,
        updatedReplicas: updated,
        readyReplicas: available + (d.stalls ? n : oldLeft),
        availableReplicas: available + (d.stalls ? n : oldLeft),
        conditions: [...conditions, progressing],
      },
    };
  }
}

interface PatchBody {
  metadata?: { resourceVersion?: string };
  spec?: { template?: { spec?: { containers?: { name?: string; image?: string }[] } } };
}

function parseSelector(s: string): Record<string, string> | undefined {
  if (!s) return {};
  const out: Record<string, string> = {};
  for (const part of s.split(",")) {
    const m = /^([A-Za-z0-9._/-]+)==?([A-Za-z0-9._-]*)$/.exec(part.trim());
    if (!m) return undefined;
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

function json(code: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status: code, headers: { "content-type": "application/json" } });
}

function status(code: number, reason: string, message: string): Response {
  return json(code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });
}
