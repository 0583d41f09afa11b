import type { Action, Resource, Skipped } from "../../core/plan.ts";
import type { Target } from "./inventory.ts";

export interface Criteria {
  service: string;
  domains: string[];
  renewWithinMs: number;
  renewWithinText: string;
  force: boolean;
  now: Date;
  /** How the new certificate will be obtained, recorded on every action. */
  issuance: { directoryUrl: string; challenge: "dns-01"; dnsProvider: string; zone: string; keyType: string };
}

const DAY = 86_400_000;

/**
 * Pure selection: which certificates are renewed and why, which are fine and how long
 * they have left. A certificate is renewed when it expires within the window, when its
 * SANs differ from the configured domains, or when --force says so.
 */
export function selectCertificates(targets: Target[], c: Criteria): { actions: Action[]; skipped: Skipped[] } {
  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  const wanted = [...new Set(c.domains.map((d) => d.toLowerCase()))].sort();
  for (const t of targets) {
    const leftMs = t.cert.notAfter.getTime() - c.now.getTime();
    // Rounded: a certificate made with -days 5 a minute ago has 5 days left, not 4.
    const daysLeft = Math.round(leftMs / DAY);
    if (t.acm?.type && t.acm.type !== "IMPORTED") {
      skipped.push({
        resource: resourceOf(t, daysLeft),
        category: "not-eligible",
        reason: `${t.acm.type} certificate: ACM renews it, it cannot be re-imported`,
      });
      continue;
    }
    const missing = wanted.filter((d) => !t.cert.sans.includes(d));
    const extra = t.cert.sans.filter((d) => !wanted.includes(d));
    const reasons: string[] = [];
    if (leftMs <= c.renewWithinMs)
      reasons.push(leftMs < 0 ? `expired ${isoDay(t.cert.notAfter)}` : `expires ${isoDay(t.cert.notAfter)}, ${daysLeft} days left ≤ ${c.renewWithinText}`);
    if (missing.length || extra.length)
      reasons.push(`SANs differ from the configured domains (${[...missing.map((d) => `missing ${d}`), ...extra.map((d) => `extra ${d}`)].join(", ")})`);
    if (!reasons.length && c.force) reasons.push(`--force (expires ${isoDay(t.cert.notAfter)}, ${daysLeft} days left)`);
    else if (reasons.length && !/^expire/.test(reasons[0] as string)) reasons.push(`expires ${isoDay(t.cert.notAfter)}, ${daysLeft} days left`);
    if (!reasons.length) {
      skipped.push({
        resource: resourceOf(t, daysLeft),
        category: "not-eligible",
        reason: `expires ${isoDay(t.cert.notAfter)}, ${daysLeft} days left > ${c.renewWithinText}; SANs match`,
      });
      continue;
    }
    actions.push(rotateAction(t, c, wanted, reasons, daysLeft));
  }
  return { actions, skipped };
}

function rotateAction(t: Target, c: Criteria, domains: string[], reasons: string[], daysLeft: number): Action {
  const issuance = { ...c.issuance, domains };
  return {
    id: `rotate:${t.id}`,
    resource: resourceOf(t, daysLeft),
    operation: "rotate",
    reason: {
      summary: `${reasons.join("; ")}; SANs ${t.cert.sans.join(", ") || "(none)"}; issuer ${t.cert.issuer || "?"}; serial ${t.cert.serial}; new from ${c.issuance.directoryUrl} via ${c.issuance.challenge} in ${c.issuance.zone} (${c.issuance.dnsProvider})`,
      evidence: {
        service: c.service,
        notAfter: t.cert.notAfter.toISOString(),
        daysLeft,
        renewWithin: c.renewWithinText,
        force: c.force,
        sans: t.cert.sans,
        domains,
        issuer: t.cert.issuer,
        serial: t.cert.serial,
      },
    },
    steps: [{ service: "acme", operation: "Order", parameters: issuance }],
    call:
      t.kind === "acm"
        ? {
            service: "acm",
            operation: "ImportCertificate",
            parameters: { CertificateArn: t.id, Certificate: "(issued at apply)", PrivateKey: "(new key, never shown)", CertificateChain: "(issued at apply)" },
          }
        : {
            service: "host",
            operation: "InstallCertificate",
            parameters: {
              certFile: t.host?.certFile ?? "",
              keyFile: t.host?.keyFile ?? "",
              keyMode: "0600",
              backupSuffix: ".prev",
              ...(t.host?.reload ? { reload: t.host.reload } : {}),
              ...(t.host?.verifyUrl ? { verifyUrl: t.host.verifyUrl } : {}),
            },
          },
    checks: [],
    preconditions: [{ description: "the certificate in place is still the one planned for", attribute: "serial", expected: t.cert.serial, test: "equals" }],
  };
}

export function resourceOf(t: Target, daysLeft: number): Resource {
  return {
    type: t.kind === "acm" ? "aws.acm.certificate" : "host.certificate",
    id: t.id,
    name: t.name,
    attributes: {
      target: t.kind === "acm" ? `acm ${t.id}` : `host ${t.host?.certFile}`,
      notAfter: t.cert.notAfter.toISOString(),
      daysLeft,
      sans: t.cert.sans,
      issuer: t.cert.issuer,
      serial: t.cert.serial,
      keyAlgorithm: t.cert.keyAlgorithm,
      ...(t.acm ? { inUseBy: t.acm.inUseBy } : {}),
    },
  };
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
