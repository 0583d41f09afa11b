import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import { OpsError } from "../../core/errors.ts";

// ACME through acme-client (RFC 8555). The library is imported only here, lazily, so
// --help and --version never load it. Its axios instance is a module singleton: the
// trust anchor and retry budget set here apply to every client this process makes.

export type KeyType = "rsa-2048" | "rsa-3072" | "rsa-4096" | "ec-p256" | "ec-p384";

export interface AcmeOptions {
  directoryUrl: string;
  /** PEM of the account key; never logged, never returned. */
  accountKey: string;
  email?: string;
  /** Extra CA (PEM file) trusted for the directory's TLS, for private CAs such as Pebble or step-ca. */
  caCertFile?: string;
  timeoutMs: number;
  log?: (m: string) => void;
}

export interface Dns01Hooks {
  /** Publishes `value` at `name` (the _acme-challenge record). */
  present(name: string, value: string): Promise<void>;
  cleanup(name: string, value: string): Promise<void>;
}

export interface Issued {
  keyPem: string;
  /** Leaf first, then the intermediates the CA sent. */
  fullchainPem: string;
}

export interface AcmePort {
  /** The directory answers and the key's account exists and is valid ("missing" when it was never registered). */
  checkAccount(): Promise<{ status: "valid" | "missing" | "deactivated" | "revoked"; url?: string }>;
  issue(domains: string[], keyType: KeyType, dns: Dns01Hooks): Promise<Issued>;
}

export async function createAcme(o: AcmeOptions): Promise<AcmePort> {
  const acme = await import("acme-client");
  // acme-client's own trace (requests, retries, challenge steps) goes to the debug log (--verbose).
  if (o.log) acme.setLogger(o.log);
  const ax = acme.axios;
  // A down CA must fail in seconds, not after acme-client's default 5 tries × 5 s.
  const defaults = ax.defaults as typeof ax.defaults & { acmeSettings: Record<string, number> };
  defaults.acmeSettings = { ...defaults.acmeSettings, retryMaxAttempts: 2, retryDefaultDelay: 1 };
  ax.defaults.timeout = o.timeoutMs;
  const agent = o.caCertFile ? new Agent({ ca: readCa(o.caCertFile) }) : undefined;
  if (agent) ax.defaults.httpsAgent = agent;
  const makeClient = (accountUrl?: string) =>
    new acme.Client({
      directoryUrl: o.directoryUrl,
      accountKey: o.accountKey,
      backoffAttempts: 10,
      backoffMin: 200,
      backoffMax: 2000,
      ...(accountUrl ? { accountUrl } : {}),
    });
  const client = makeClient();

  const port: AcmePort = {
    async checkAccount() {
      await probe(o.directoryUrl, agent, o.timeoutMs);
      // newAccount with onlyReturnExisting answers without registering anything; the
      // internal api call keeps the CA's problem document, which the public one flattens.
      const api = (client as unknown as { api: AcmeApi }).api;
      const resp = await api.apiResourceRequest("newAccount", { onlyReturnExisting: true }, [], { includeJwsKid: false });
      if (resp.status === 200 || resp.status === 201) return { status: resp.data?.status ?? "valid", url: resp.headers?.location };
      const type = String(resp.data?.type ?? "").replace(/^urn:ietf:params:acme:error:/, "");
      if (type === "accountDoesNotExist") return { status: "missing" };
      throw new AcmeProblem(resp.status, type || "error", String(resp.data?.detail ?? ""));
    },

    async issue(domains, keyType, dns) {
      // A known account is handed to auto() by URL: its "register or update" path sends an
      // update that Pebble (rightly) refuses as empty.
      const acct = await port.checkAccount();
      if (acct.status === "deactivated" || acct.status === "revoked") throw new AcmeProblem(403, "unauthorized", `the account is ${acct.status}`);
      const orderClient = acct.status === "valid" && acct.url ? makeClient(acct.url) : client;
      const key = keyType.startsWith("rsa")
        ? await acme.crypto.createPrivateRsaKey(Number(keyType.slice(4)))
        : await acme.crypto.createPrivateEcdsaKey(keyType === "ec-p384" ? "P-384" : "P-256");
      const [, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: domains }, key);
      const fullchain = await orderClient.auto({
        csr,
        email: o.email,
        termsOfServiceAgreed: true,
        challengePriority: ["dns-01"],
        // The CA validates from its own resolvers; a local pre-check would only see this host's view of DNS.
        skipChallengeVerification: true,
        challengeCreateFn: async (authz, challenge, keyAuthorization) => {
          if (challenge.type !== "dns-01") throw new Error(`only dns-01 is supported, the CA offered ${challenge.type}`);
          await dns.present(`_acme-challenge.${authz.identifier.value}`, keyAuthorization);
        },
        challengeRemoveFn: async (authz, _challenge, keyAuthorization) => {
          await dns.cleanup(`_acme-challenge.${authz.identifier.value}`, keyAuthorization);
        },
      });
      return { keyPem: key.toString(), fullchainPem: fullchain.toString() };
    },
  };
  return port;
}

interface AcmeApi {
  apiResourceRequest(
    resource: string,
    payload: unknown,
    valid: number[],
    o: { includeJwsKid: boolean },
  ): Promise<{ status: number; headers?: { location?: string }; data?: { status?: "valid" | "deactivated" | "revoked"; type?: string; detail?: string } }>;
}

/** A problem document the CA answered (RFC 8555 §6.7). */
export class AcmeProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    detail: string,
  ) {
    super(`${status} ${type}${detail ? `: ${detail}` : ""}`);
    this.name = "AcmeProblem";
  }
}

/**
 * One GET of the directory first: when the CA does not answer at all, acme-client's
 * retry interceptor ends in a TypeError that has lost the socket error; this keeps it.
 */
function probe(url: string, agent: Agent | undefined, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === "http:" ? httpRequest : httpsRequest)(u, { method: "GET", ...(agent && u.protocol === "https:" ? { agent } : {}) }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve();
      else reject(Object.assign(new Error(`directory ${url} answered ${status}`), { code: status >= 500 ? "EBADGATEWAY" : "EDIRECTORY", status }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end();
  });
}

function readCa(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new OpsError("usage", [{ message: `rotateCert.acme.caCert: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})` }]);
  }
}

/** The ACME problem type (urn:ietf:params:acme:error:<type>) of a failed call, if the CA answered one. */
export function acmeType(e: unknown): string | undefined {
  const err = e as { type?: string; response?: { data?: { type?: string } }; message?: string };
  const t = err?.type ?? err?.response?.data?.type;
  if (typeof t === "string") return t.replace(/^urn:ietf:params:acme:error:/, "");
  const m = /urn:ietf:params:acme:error:([A-Za-z]+)/.exec(String(err?.message ?? ""));
  return m?.[1];
}
