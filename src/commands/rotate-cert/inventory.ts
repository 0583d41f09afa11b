import { readFileSync } from "node:fs";
import { perRun } from "../../core/per-run.ts";
import type { Check } from "../../core/plan.ts";
import type { AcmCertificate, AcmPort } from "../../providers/aws/acm.ts";
import { awsOptions } from "../../providers/aws/context.ts";
import type { RunContext } from "../../sdk/index.ts";
import type { HostTarget, RotateContext } from "./config.ts";
import { type CertInfo, certInfo, normSerial, splitPem } from "./x509.ts";

// Inventory: the certificates of one service in one environment, from the targets its
// config names. Discovery only reads; unreadable targets become failed checks (exit 3).

export interface Target {
  kind: "acm" | "host";
  /** Stable id: the ARN, or host:<name>. */
  id: string;
  name: string;
  cert: CertInfo;
  acm?: { arn: string; type?: string; status?: string; inUseBy: string[] };
  host?: HostTarget;
}

export interface ServiceConfig {
  domains: string[];
  acm?: boolean;
  hosts?: HostTarget[];
}

export function serviceConfig(ctx: RotateContext, service: string): ServiceConfig | undefined {
  return ctx.section.services?.[service];
}

export async function discover(
  ctx: RotateContext,
  service: string,
  svc: ServiceConfig,
  acm: () => Promise<AcmPort>,
): Promise<{ targets: Target[]; checks: Check[] }> {
  const targets: Target[] = [];
  const checks: Check[] = [];
  if (svc.acm !== false) {
    const rc = ctx.section;
    const certs = await (await acm()).listTagged({ [rc.serviceTag]: service, [rc.environmentTag]: ctx.scope.environment });
    for (const c of certs.sort((a, b) => a.arn.localeCompare(b.arn))) targets.push(acmTarget(c));
  }
  for (const h of svc.hosts ?? []) {
    const r = hostTarget(h);
    if ("problem" in r) checks.push({ name: `host:${h.name}`, status: "failed", detail: r.problem });
    else targets.push(r);
  }
  return { targets, checks };
}

export function acmTarget(c: AcmCertificate): Target {
  let parsed: CertInfo | undefined;
  try {
    parsed = c.certificatePem ? certInfo(c.certificatePem) : undefined;
  } catch {
    parsed = undefined;
  }
  return {
    kind: "acm",
    id: c.arn,
    name: c.tags.Name ?? c.domain ?? c.arn,
    cert: parsed ?? {
      serial: normSerial(c.serial ?? ""),
      notBefore: new Date(0),
      notAfter: c.notAfter ?? new Date(0),
      sans: [...c.sans].map((s) => s.toLowerCase()).sort(),
      issuer: c.issuer ?? "",
      subject: c.domain ? `CN=${c.domain}` : "",
      keyAlgorithm: c.keyAlgorithm ?? "",
    },
    acm: { arn: c.arn, type: c.type, status: c.status, inUseBy: c.inUseBy },
  };
}

export function hostTarget(h: HostTarget): Target | { problem: string } {
  let pem: string;
  try {
    pem = readFileSync(h.certFile, "utf8");
  } catch (e) {
    return { problem: `cannot read ${h.certFile} (${(e as NodeJS.ErrnoException).code ?? "error"})` };
  }
  const first = splitPem(pem)[0];
  if (!first) return { problem: `${h.certFile} holds no PEM certificate` };
  try {
    return { kind: "host", id: `host:${h.name}`, name: `${h.name} ${h.certFile}`, cert: certInfo(first), host: h };
  } catch (e) {
    return { problem: `${h.certFile}: not a valid certificate (${(e as Error).message})` };
  }
}

/** What preconditions compare at apply time: the serial now in place. */
export async function liveSerial(
  kind: string,
  id: string,
  h: Omit<HostTarget, "name"> | undefined,
  acm: () => Promise<AcmPort>,
): Promise<Record<string, unknown> | undefined> {
  if (kind === "acm") {
    const c = await (await acm()).describe(id);
    return c ? { serial: acmTarget(c).cert.serial } : undefined;
  }
  if (!h) return undefined;
  const t = hostTarget({ name: id, ...h });
  return "problem" in t ? undefined : { serial: t.cert.serial };
}

export const acmClient = perRun((ctx: RunContext): Promise<AcmPort> => ctx.provider("acm", awsOptions(ctx)));
