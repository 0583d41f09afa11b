import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import type { Validation } from "../../core/command.ts";
import { usageError } from "../../core/errors.ts";
import type { Check, Plan } from "../../core/plan.ts";
import { hostOf, issueParamsOf, oldCertOf } from "./action-data.ts";
import type { RotateContext } from "./config.ts";
import { hostPreflight } from "./hosts.ts";
import { acmeClient, classifyAcme, dnsClient, issueOnce } from "./issue.ts";
import { ACM_IMPORT_KEYS, checkNewCertificate, splitPem } from "./x509.ts";

const DNS_NAME = { powerdns: "PowerDNS", route53: "Route 53" } as const;
const ACM_KEY_OF: Record<string, string> = {
  "rsa-2048": "RSA_2048",
  "rsa-3072": "RSA_3072",
  "rsa-4096": "RSA_4096",
  "ec-p256": "EC_prime256v1",
  "ec-p384": "EC_secp384r1",
};

/**
 * Read-only, for dry run and apply alike: the CA answers and knows the account, the DNS
 * API takes the key and has the zone, hosts can be written and reloaded, ACM can take
 * the key type. Ordering the certificate is a mutation at the CA: prepareRotation does it.
 */
export async function validateRotation(plan: Plan, ctx: RotateContext): Promise<Validation> {
  const planChecks: Check[] = [];
  const actions: Record<string, Check[]> = {};
  const first = plan.actions[0];
  if (!first) return {};
  const issue = issueParamsOf(first);

  const acme = await acmeClient(ctx);
  let account: Awaited<ReturnType<typeof acme.checkAccount>>;
  try {
    account = await acme.checkAccount();
  } catch (e) {
    throw classifyAcme(e, issue.directoryUrl);
  }
  planChecks.push(
    account.status === "valid"
      ? { name: "acme.account", status: "passed", detail: `${issue.directoryUrl} answers; account ${account.url ?? ""} is valid` }
      : account.status === "missing"
        ? {
            name: "acme.account",
            status: "warning",
            detail: `${issue.directoryUrl} answers; no account for this key yet, apply will register it`,
          }
        : { name: "acme.account", status: "failed", detail: `the account for this key is ${account.status} at ${issue.directoryUrl}` },
  );

  const zone = await (await dnsClient(ctx)).checkZone();
  planChecks.push(
    zone.ok
      ? { name: "dns.zone", status: "passed", detail: `${DNS_NAME[ctx.section.dns.provider]} accepts the credentials; zone ${issue.zone} exists` }
      : { name: "dns.zone", status: "failed", detail: zone.reason },
  );

  for (const a of plan.actions) {
    const h = hostOf(a);
    const list: Check[] = h ? hostPreflight(h, ctx.deps.env) : [];
    if (!h) {
      const key = ACM_KEY_OF[issueParamsOf(a).keyType] ?? issueParamsOf(a).keyType;
      const ok = ACM_IMPORT_KEYS.has(key);
      list.push({ name: "acm.import-key-type", status: ok ? "passed" : "failed", detail: ok ? `${key} can be imported` : `ACM cannot import ${key}` });
    }
    actions[a.id] = list;
  }

  return { plan: planChecks, actions };
}

/**
 * Apply only, before any target is touched: the certificate is ordered (registering the
 * account if needed) and checked against every target; a failed check replaces nothing.
 */
export async function prepareRotation(plan: Plan, ctx: RotateContext): Promise<Validation> {
  const actions: Record<string, Check[]> = {};
  const roots = trustRoots(ctx);
  for (const a of plan.actions) {
    const issued = await issueOnce(ctx, issueParamsOf(a));
    actions[a.id] = [];
    actions[a.id]?.push(
      ...checkNewCertificate({
        keyPem: issued.keyPem,
        fullchainPem: issued.fullchainPem,
        old: oldCertOf(a),
        roots,
        allowSanChange: ctx.section.allowSanChange,
        forAcm: a.call.service === "acm",
      }),
    );
  }
  return { actions };
}

/** The system's roots plus rotateCert.acme.trustRoots (private CAs, Pebble). */
function trustRoots(ctx: RotateContext): string[] {
  const file = ctx.section.acme.trustRoots;
  if (!file) return [...rootCertificates];
  try {
    return [...splitPem(readFileSync(file, "utf8")), ...rootCertificates];
  } catch (e) {
    throw usageError([{ message: `rotateCert.acme.trustRoots: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})` }]);
  }
}
