import { createPrivateKey, X509Certificate } from "node:crypto";
import type { Check } from "../../core/plan.ts";

// Certificate facts and the checks a new certificate must pass before it replaces an
// old one. node:crypto's X509Certificate works the same in Bun, Deno and the binary.

export interface CertInfo {
  serial: string;
  notBefore: Date;
  notAfter: Date;
  sans: string[];
  issuer: string;
  subject: string;
  keyAlgorithm: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPem(pem: string): string[] {
  return pem.match(PEM_CERT) ?? [];
}

/** Serials compare in one form: ACM writes `0a:1b:…`, node writes `0A1B…`. */
export function normSerial(s: string): string {
  return s
    .replace(/[^0-9a-fA-F]/g, "")
    .toUpperCase()
    .replace(/^0+(?=.)/, "");
}

export function certInfo(pem: string): CertInfo {
  const c = new X509Certificate(pem);
  return {
    serial: normSerial(c.serialNumber),
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    sans: sansOf(c),
    issuer: oneLine(c.issuer),
    subject: oneLine(c.subject),
    keyAlgorithm: keyAlgorithm(c),
  };
}

function sansOf(c: X509Certificate): string[] {
  return (c.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4).toLowerCase())
    .sort();
}

function oneLine(dn: string): string {
  return dn.split("\n").filter(Boolean).join(", ");
}

/** In ACM's vocabulary (RSA_2048, EC_prime256v1), which is also what its import limits name. */
export function keyAlgorithm(c: X509Certificate): string {
  const d = c.publicKey.asymmetricKeyDetails ?? {};
  if (c.publicKey.asymmetricKeyType === "rsa") return `RSA_${d.modulusLength}`;
  if (c.publicKey.asymmetricKeyType === "ec") return `EC_${d.namedCurve}`;
  return String(c.publicKey.asymmetricKeyType ?? "unknown").toUpperCase();
}

// ACM ImportCertificate accepts these key algorithms (RSA 1024 too, but it is not worth issuing).
export const ACM_IMPORT_KEYS = new Set(["RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1"]);

export interface NewCertInput {
  keyPem: string;
  fullchainPem: string;
  old: CertInfo;
  /** PEM roots the chain may end at (configured roots plus the system's). */
  roots: string[];
  allowSanChange: boolean;
  forAcm: boolean;
}

/** Every check a new certificate must pass before it replaces `old`; pure, so each is unit-tested. */
export function checkNewCertificate(i: NewCertInput): Check[] {
  const chain = splitPem(i.fullchainPem).map((p) => new X509Certificate(p));
  const leaf = chain[0];
  if (!leaf) return [{ name: "new-certificate", status: "failed", detail: "the CA returned no certificate" }];
  const info = certInfo(leaf.toString());
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, status: ok ? "passed" : "failed", detail });

  let keyOk = false;
  try {
    keyOk = leaf.checkPrivateKey(createPrivateKey(i.keyPem));
  } catch {
    keyOk = false;
  }
  add("new.key-matches", keyOk, keyOk ? "the private key matches the certificate" : "the private key does not match the certificate");

  const chainProblem = verifyChain(chain, i.roots);
  add("new.chain", !chainProblem, chainProblem ?? `chain of ${chain.length} verifies to ${oneLine(chain.at(-1)?.issuer ?? "")}`);

  const missing = i.old.sans.filter((s) => !info.sans.includes(s));
  if (missing.length && !i.allowSanChange) add("new.sans-cover-old", false, `new certificate lacks ${missing.join(", ")} (pass --allow-san-change to accept)`);
  else add("new.sans-cover-old", true, missing.length ? `drops ${missing.join(", ")} (allowed by --allow-san-change)` : `covers ${i.old.sans.join(", ")}`);

  const later = info.notAfter.getTime() > i.old.notAfter.getTime();
  add("new.not-after-later", later, `new notAfter ${info.notAfter.toISOString()} ${later ? ">" : "is not later than"} old ${i.old.notAfter.toISOString()}`);

  if (i.forAcm) {
    const ok = ACM_IMPORT_KEYS.has(info.keyAlgorithm);
    add("new.acm-import-limits", ok, ok ? `${info.keyAlgorithm} can be imported into ACM` : `ACM cannot import a ${info.keyAlgorithm} key`);
  }
  return checks;
}

/** undefined when each certificate is signed by the next and the last by a trusted root. */
function verifyChain(chain: X509Certificate[], roots: string[]): string | undefined {
  for (let n = 0; n + 1 < chain.length; n++) {
    const [a, b] = [chain[n] as X509Certificate, chain[n + 1] as X509Certificate];
    if (!a.checkIssued(b) || !a.verify(b.publicKey))
      return `certificate ${n} (${oneLine(a.subject)}) is not signed by certificate ${n + 1} (${oneLine(b.subject)})`;
  }
  const top = chain.at(-1) as X509Certificate;
  for (const pem of roots) {
    let root: X509Certificate;
    try {
      root = new X509Certificate(pem);
    } catch {
      continue;
    }
    if (top.checkIssued(root) && top.verify(root.publicKey)) return undefined;
    if (top.fingerprint256 === root.fingerprint256) return undefined;
  }
  return `chain ends at ${oneLine(top.issuer)}, which is not a trusted root (set rotateCert.acme.trustRoots for a private CA)`;
}
