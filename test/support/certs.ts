import { execFileSync } from "node:child_process";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A self-signed certificate for `domains`, valid for `days` from now (openssl, so notAfter is exact; EC keys are quick to make). */
export function selfSigned(domains: string[], days: number): { cert: string; key: string; serial: string; notAfter: Date } {
  const dir = mkdtempSync(join(tmpdir(), "opsctl-cert-"));
  const [c, k] = [join(dir, "cert.pem"), join(dir, "key.pem")];
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      k,
      "-out",
      c,
      "-days",
      String(days),
      "-subj",
      `/CN=${domains[0]}`,
      "-addext",
      `subjectAltName=${domains.map((d) => `DNS:${d}`).join(",")}`,
    ],
    { stdio: "ignore" },
  );
  const cert = readFileSync(c, "utf8");
  const x = new X509Certificate(cert);
  return { cert, key: readFileSync(k, "utf8"), serial: normSerial(x.serialNumber), notAfter: new Date(x.validTo) };
}

/** A fresh ACME account key (PEM) written to a file, for a file: reference. */
export function accountKeyFile(dir: string): { path: string; pem: string } {
  const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const path = join(dir, "acme-account.pem");
  writeFileSync(path, pem, { mode: 0o600 });
  return { path, pem };
}

export function normSerial(s: string): string {
  return s
    .replace(/[^0-9a-fA-F]/g, "")
    .toUpperCase()
    .replace(/^0+(?=.)/, "");
}

export function serialOf(pem: string): string {
  return normSerial(new X509Certificate(pem).serialNumber);
}
