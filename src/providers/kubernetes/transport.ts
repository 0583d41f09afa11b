import { MutationRefused, type Phase } from "../../core/providers.ts";
import type { KubeTarget } from "./kubeconfig.ts";

// Why not @kubernetes/client-node: it hands TLS options to undici, and Bun's undici
// Agent is a stub, so every HTTPS kubeconfig fails under Bun and in the compiled
// binary (and it needs Node >= 22.19). fetch takes TLS options per runtime instead:
// Bun through its `tls` init field, Deno through an HttpClient.

export type KubeFetch = (path: string, init: { method: string; body?: string; contentType?: string; signal?: AbortSignal }) => Promise<Response>;

interface DenoLike {
  createHttpClient(o: { caCerts?: string[]; cert?: string; key?: string }): unknown;
}

/**
 * Requests that never change cluster state: reads, server-side dry runs, access reviews
 * and self-subject reviews ("who am I"), which only ask and persist nothing.
 */
function readOnlyRequest(method: string, path: string): boolean {
  return (
    method === "GET" ||
    method === "HEAD" ||
    /[?&]dryRun=All(&|$)/.test(path) ||
    path.startsWith("/apis/authorization.k8s.io/") ||
    /^\/apis\/authentication\.k8s\.io\/v1\/selfsubjectreviews(\?|$)/.test(path)
  );
}

/** phase: while it answers plan or validate, only read-only requests are sent (the SDK's guard). */
export function createTransport(t: KubeTarget, timeoutMs: number, phase?: () => Phase): KubeFetch {
  const g = globalThis as { Deno?: DenoLike; Bun?: unknown };
  const https = t.server.startsWith("https:");
  const headers: Record<string, string> = { accept: "application/json", "user-agent": "opsctl" };
  if (t.token) headers.authorization = `Bearer ${t.token}`;
  let extra: Record<string, unknown> = {};
  const denoSkip = Boolean(https && g.Deno && t.tls.insecure);
  if (https && g.Deno) {
    // Deno has no per-client "skip verification": that takes --unsafely-ignore-certificate-errors.
    if (t.tls.ca || t.tls.cert) {
      extra = {
        client: g.Deno.createHttpClient({
          ...(t.tls.ca ? { caCerts: [t.tls.ca] } : {}),
          ...(t.tls.cert && t.tls.key ? { cert: t.tls.cert, key: t.tls.key } : {}),
        }),
      };
    }
  } else if (https && g.Bun) {
    extra = {
      tls: { ...(t.tls.ca ? { ca: t.tls.ca } : {}), ...(t.tls.cert ? { cert: t.tls.cert, key: t.tls.key } : {}), rejectUnauthorized: !t.tls.insecure },
    };
  } else if (https && (t.tls.ca || t.tls.cert || t.tls.insecure)) {
    // Node's fetch takes no TLS options; refusing beats silently trusting the wrong roots.
    throw new Error("custom TLS settings for the Kubernetes API need the opsctl binary, Bun or Deno; this runtime's fetch cannot take them");
  }
  return async (path, init) => {
    const now = phase?.();
    if (now && now !== "apply" && !readOnlyRequest(init.method, path)) throw new MutationRefused("kubernetes", `${init.method} ${path.split("?")[0]}`, now);
    const signals = [AbortSignal.timeout(timeoutMs), ...(init.signal ? [init.signal] : [])];
    try {
      return await fetch(`${t.server}${path}`, {
        method: init.method,
        headers: { ...headers, ...(init.contentType ? { "content-type": init.contentType } : {}) },
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: AbortSignal.any(signals),
        ...extra,
      } as RequestInit);
    } catch (e) {
      if (denoSkip) {
        const err = e as Error;
        err.message = `${err.message}; under Deno, insecure-skip-tls-verify needs --unsafely-ignore-certificate-errors (or use the opsctl binary)`;
      }
      throw e;
    }
  };
}
