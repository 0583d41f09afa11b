import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { usageError } from "../../core/errors.ts";

/** Everything a request to one API server needs: where, how to trust it, who we are. */
export interface KubeTarget {
  server: string;
  /** Which kubeconfig file and context it came from ("in-cluster" for the service account). */
  source: string;
  context: string;
  /** Namespace the context names, if any (config's deploy.namespace wins over it). */
  namespace?: string;
  tls: { ca?: string; cert?: string; key?: string; insecure: boolean };
  token?: string;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeconfigOptions {
  /** deploy.kubeconfig from config, if set. */
  path?: string;
  context?: string;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Service-account folder; a parameter so tests can point it at a fixture. */
  serviceAccountDir?: string;
}

/**
 * The same search kubectl does: the configured file, else every file in KUBECONFIG
 * (first definition of a name wins), else ~/.kube/config; with none of them, the
 * in-cluster service account. Problems are usage errors (exit 2) naming the file.
 */
export async function loadKubeTarget(o: KubeconfigOptions): Promise<KubeTarget> {
  const files = o.path
    ? [resolve(o.cwd, o.path)]
    : o.env.KUBECONFIG
      ? o.env.KUBECONFIG.split(":").filter(Boolean)
      : o.env.HOME
        ? [join(o.env.HOME, ".kube", "config")]
        : [];
  const present = files.filter((f) => existsSync(f));
  if (o.path && !present.length) throw usageError(`kubeconfig ${files[0]} does not exist (deploy.kubeconfig)`);
  if (!present.length) {
    if (o.env.KUBERNETES_SERVICE_HOST) return inCluster(o.env, o.serviceAccountDir ?? SA_DIR);
    throw usageError(`no kubeconfig: set deploy.kubeconfig, KUBECONFIG, or create ~/.kube/config (looked at ${files.join(", ") || "nothing: HOME is unset"})`);
  }
  // Imported here, not at the top: --help and --version must not load a parser (test/unit/lazy-imports).
  const { parseYAML } = await import("confbox");
  return fromFiles(present, o.context, parseYAML);
}

interface Named<T> {
  name: string;
  file: string;
  value: T;
}
type Cluster = Record<string, unknown>;
type User = Record<string, unknown>;
type Context = { cluster?: string; user?: string; namespace?: string };

function fromFiles(files: string[], wanted: string | undefined, parseYAML: (text: string) => unknown): KubeTarget {
  const clusters: Named<Cluster>[] = [];
  const users: Named<User>[] = [];
  const contexts: Named<Context>[] = [];
  let current: string | undefined;
  for (const file of files) {
    let doc: Record<string, unknown>;
    try {
      doc = (parseYAML(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    } catch (e) {
      throw usageError(`kubeconfig ${file} does not parse: ${(e as Error).message.split("\n")[0]}`);
    }
    const list = (k: string) => (Array.isArray(doc[k]) ? (doc[k] as { name?: string }[]) : []);
    for (const c of list("clusters")) clusters.push({ name: String(c.name), file, value: ((c as { cluster?: Cluster }).cluster ?? {}) as Cluster });
    for (const u of list("users")) users.push({ name: String(u.name), file, value: ((u as { user?: User }).user ?? {}) as User });
    for (const c of list("contexts")) contexts.push({ name: String(c.name), file, value: ((c as { context?: Context }).context ?? {}) as Context });
    current ??= typeof doc["current-context"] === "string" && doc["current-context"] ? (doc["current-context"] as string) : undefined;
  }
  const name = wanted ?? current;
  const where = files.join(":");
  if (!name) throw usageError(`kubeconfig ${where} has no current-context: set deploy.context (or --context)`);
  const ctx = contexts.find((c) => c.name === name);
  if (!ctx) throw usageError(`kubeconfig ${where} has no context '${name}'; contexts: ${contexts.map((c) => c.name).join(", ") || "none"}`);
  const cluster = clusters.find((c) => c.name === ctx.value.cluster);
  if (!cluster) throw usageError(`kubeconfig ${ctx.file}: context '${name}' names cluster '${ctx.value.cluster}', which is not defined`);
  const user = ctx.value.user ? users.find((u) => u.name === ctx.value.user) : undefined;
  if (ctx.value.user && !user) throw usageError(`kubeconfig ${ctx.file}: context '${name}' names user '${ctx.value.user}', which is not defined`);
  const server = cluster.value.server;
  if (typeof server !== "string" || !/^https?:\/\//.test(server)) {
    throw usageError(`kubeconfig ${cluster.file}: cluster '${cluster.name}' has no http(s) server URL`);
  }
  const u = user?.value ?? {};
  if (u.exec || u["auth-provider"]) {
    throw usageError(
      `kubeconfig ${user?.file}: user '${user?.name}' uses an exec or auth-provider plugin, which opsctl does not run; use a token or client certificate`,
    );
  }
  const base = (f: string) => dirname(f);
  return {
    server: server.replace(/\/+$/, ""),
    source: `${ctx.file} context ${name}`,
    context: name,
    ...(ctx.value.namespace ? { namespace: ctx.value.namespace } : {}),
    tls: {
      ca: material(cluster.value, "certificate-authority", base(cluster.file)),
      cert: user ? material(u, "client-certificate", base(user.file)) : undefined,
      key: user ? material(u, "client-key", base(user.file)) : undefined,
      insecure: cluster.value["insecure-skip-tls-verify"] === true,
    },
    token:
      typeof u.token === "string"
        ? u.token
        : typeof u.tokenFile === "string"
          ? readText(resolvePath(u.tokenFile, base(user?.file ?? "")), "tokenFile").trim()
          : undefined,
  };
}

/** `<name>-data` (base64) or `<name>` (a path, relative to the kubeconfig's folder). */
function material(obj: Record<string, unknown>, name: string, dir: string): string | undefined {
  const data = obj[`${name}-data`];
  if (typeof data === "string" && data) return Buffer.from(data, "base64").toString("utf8");
  const path = obj[name];
  if (typeof path === "string" && path) return readText(resolvePath(path, dir), name);
  return undefined;
}

function resolvePath(p: string, dir: string): string {
  return isAbsolute(p) ? p : join(dir, p);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw usageError(`kubeconfig ${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function inCluster(env: Record<string, string | undefined>, dir: string): KubeTarget {
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const ns = join(dir, "namespace");
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    source: "in-cluster service account",
    context: "in-cluster",
    ...(existsSync(ns) ? { namespace: readFileSync(ns, "utf8").trim() } : {}),
    tls: { ca: readText(join(dir, "ca.crt"), "service-account CA"), insecure: false },
    token: readText(join(dir, "token"), "service-account token").trim(),
  };
}
