import type { Action } from "../../core/plan.ts";
import type { KeyType } from "../../providers/acme/client.ts";
import type { HostInstall } from "./hosts.ts";
import type { IssueParams } from "./issue.ts";
import type { CertInfo } from "./x509.ts";

// Apply works from the plan, not from today's config: a saved plan installs exactly
// what was reviewed. These read the parts of an action that apply needs.

export function issueParamsOf(a: Action): IssueParams {
  const p = (a.steps?.find((s) => s.operation === "Order")?.parameters ?? {}) as Record<string, unknown>;
  return {
    directoryUrl: String(p.directoryUrl ?? ""),
    domains: Array.isArray(p.domains) ? p.domains.map(String) : [],
    keyType: String(p.keyType ?? "rsa-2048") as KeyType,
    zone: String(p.zone ?? ""),
  };
}

export function hostOf(a: Action): HostInstall | undefined {
  if (a.call.service !== "host") return undefined;
  const p = a.call.parameters as Record<string, unknown>;
  return {
    certFile: String(p.certFile),
    keyFile: String(p.keyFile),
    ...(typeof p.reload === "string" ? { reload: p.reload } : {}),
    ...(typeof p.verifyUrl === "string" ? { verifyUrl: p.verifyUrl } : {}),
  };
}

/** The old certificate as the plan recorded it (what a new one must improve on). */
export function oldCertOf(a: Action): CertInfo {
  const at = a.resource.attributes;
  return {
    serial: String(at.serial ?? ""),
    notBefore: new Date(0),
    notAfter: new Date(String(at.notAfter)),
    sans: Array.isArray(at.sans) ? at.sans.map(String) : [],
    issuer: String(at.issuer ?? ""),
    subject: "",
    keyAlgorithm: String(at.keyAlgorithm ?? ""),
  };
}
