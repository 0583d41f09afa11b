import { createPrivateKey } from "node:crypto";
import { parseDuration } from "../../core/duration.ts";
import { isOpsError, OpsError, usageError } from "../../core/errors.ts";
import { perRun } from "../../core/per-run.ts";
import type { AcmePort, Issued, KeyType } from "../../providers/acme/client.ts";
import { awsOptions } from "../../providers/aws/context.ts";
import type { DnsPort } from "../../providers/dns/powerdns.ts";
import type { RotateContext } from "./config.ts";

// Issuance happens once per run and domain set, however many targets receive the
// certificate: one order at the CA, one key. Every challenge record published is
// removed afterwards — on success, on a failed order, and when the CA is unreachable.

export interface IssueParams {
  directoryUrl: string;
  domains: string[];
  keyType: KeyType;
  zone: string;
}

const issued = new WeakMap<RotateContext, Map<string, Promise<Issued>>>();

export const acmeClient = perRun((ctx): Promise<AcmePort> => {
  const a = ctx.section.acme;
  const directoryUrl = required(a.directoryUrl, "rotateCert.acme.directoryUrl");
  const accountKey = required(ctx.secret("rotateCert.acme.accountKey"), "rotateCert.acme.accountKey");
  redactPem(ctx, accountKey);
  try {
    createPrivateKey(accountKey);
  } catch {
    throw usageError([{ message: "rotateCert.acme.accountKey: not a PEM private key (value not shown: secret)" }]);
  }
  return ctx.provider("acme", {
    directoryUrl,
    accountKey,
    ...(a.email ? { email: a.email } : {}),
    ...(a.caCert ? { caCertFile: a.caCert } : {}),
    timeoutMs: parseDuration(a.timeout) ?? 30_000,
    log: (m) => ctx.log.debug(m),
  });
});

export const dnsClient = perRun((ctx): Promise<DnsPort> => {
  const d = ctx.section.dns;
  const zone = required(d.zone, "rotateCert.dns.zone");
  const timeoutMs = parseDuration(ctx.section.acme.timeout) ?? 30_000;
  return d.provider === "route53"
    ? ctx.provider("route53", {
        ...awsOptions(ctx),
        zone,
        ...(d.route53?.hostedZoneId ? { hostedZoneId: d.route53.hostedZoneId } : {}),
        // Route 53 changes take up to a minute to reach every name server.
        timeoutMs: Math.max(timeoutMs, 120_000),
      })
    : ctx.provider("powerdns", {
        apiUrl: required(d.powerdns.apiUrl, "rotateCert.dns.powerdns.apiUrl"),
        apiKey: required(ctx.secret("rotateCert.dns.powerdns.apiKey"), "rotateCert.dns.powerdns.apiKey"),
        serverId: d.powerdns.serverId,
        zone,
        timeoutMs,
      });
});

/** The new certificate for these parameters, ordered at most once per run. */
export function issueOnce(ctx: RotateContext, p: IssueParams): Promise<Issued> {
  let m = issued.get(ctx);
  if (!m) {
    m = new Map();
    issued.set(ctx, m);
  }
  const key = JSON.stringify([p.directoryUrl, p.domains, p.keyType, p.zone]);
  let got = m.get(key);
  if (!got) {
    got = issue(ctx, p);
    m.set(key, got);
  }
  return got;
}

async function issue(ctx: RotateContext, p: IssueParams): Promise<Issued> {
  const acme = await acmeClient(ctx);
  const dns = await dnsClient(ctx);
  const published = new Map<string, string>();
  ctx.log.info(`ordering a certificate for ${p.domains.join(", ")} from ${p.directoryUrl} (dns-01 in ${p.zone})`);
  try {
    const out = await acme.issue(p.domains, p.keyType, {
      present: async (name, value) => {
        published.set(`${name}\n${value}`, name);
        await dns.addTxt(name, value);
      },
      cleanup: async (name, value) => {
        await dns.removeTxt(name, value);
        published.delete(`${name}\n${value}`);
      },
    });
    redactPem(ctx, out.keyPem);
    return out;
  } catch (e) {
    throw classifyAcme(e, p.directoryUrl);
  } finally {
    // acme-client removes records itself but swallows failures; whatever is left goes here.
    for (const [k, name] of published) {
      await dns.removeTxt(name, k.slice(name.length + 1)).catch((e) => ctx.log.warn(`could not remove challenge record ${name}: ${(e as Error).message}`));
    }
  }
}

const NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up|timeout|self.signed|unable to verify|UNABLE_TO_VERIFY|CERT_|Unable to connect/i;

/** A CA that cannot be reached is remote (4); a CA that refuses the order is validation (3). */
export function classifyAcme(e: unknown, directoryUrl: string): OpsError {
  if (isOpsError(e)) return e;
  const err = e as { code?: string; message?: string; name?: string; status?: number; response?: { status?: number } };
  const msg =
    String(err?.message ?? e)
      .split("\n")[0]
      ?.slice(0, 300) ?? "";
  const status = err?.response?.status ?? err?.status;
  // acme-client's retry interceptor turns "no response at all" into a TypeError about `response`.
  if (err?.name === "TypeError" && /response|config/.test(msg)) {
    return new OpsError("remote", [{ message: `ACME CA at ${directoryUrl} stopped answering (no HTTP response)` }], { cause: e });
  }
  if ((err?.code && NETWORK.test(err.code)) || NETWORK.test(msg) || (status !== undefined && status >= 500) || /returned error 5\d\d/.test(msg)) {
    return new OpsError("remote", [{ message: `ACME CA at ${directoryUrl} is unreachable or failing: ${err?.code ? `${err.code}: ` : ""}${msg}` }], {
      cause: e,
    });
  }
  return new OpsError("validation", [{ message: `ACME CA at ${directoryUrl} refused: ${msg}` }], { cause: e });
}

function required<T>(value: T | undefined, key: string): T {
  if (value === undefined || value === "") throw usageError([{ message: `${key} is not set: rotate-cert needs it (see README, rotate-cert)` }]);
  return value;
}

/**
 * A PEM is multi-line and JSON output escapes its newlines, so the whole value alone
 * would slip past the redactor: each base64 line is registered too.
 */
export function redactPem(ctx: RotateContext, pem: string): void {
  ctx.redactor.add(pem);
  for (const line of pem.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith("-----")) ctx.redactor.add(line.trim());
}
