import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { ACMClient, GetCertificateCommand, ImportCertificateCommand, ListTagsForCertificateCommand } from "@aws-sdk/client-acm";
import { accountKeyFile, normSerial, selfSigned } from "./certs.ts";
import { workspace } from "./e2e-env.ts";
import { Moto } from "./moto.ts";
import { PowerDns } from "./pdns.ts";

// The rotate-cert world: moto ACM with tagged certificates, nginx serving a host pair,
// a PowerDNS zone Pebble validates dns-01 through, and an opsctl config for all of it.

export const DOMAIN = "api.example.test";
export const ZONE = "example.test.";

export class RotateWorld {
  readonly moto = new Moto();
  readonly p = this.moto.p;
  readonly pdns = new PowerDns();
  readonly acm = new ACMClient({ endpoint: this.p.MOTO_URL, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });

  async reset(): Promise<void> {
    await this.moto.reset();
    await this.pdns.zone(ZONE);
  }

  /** Imports a self-signed certificate into moto ACM, tagged for a service and environment. */
  async acmCert(days: number, tags: Record<string, string> = { Service: "api", Environment: "prod" }, domains = [DOMAIN]): Promise<string> {
    const c = selfSigned(domains, days);
    const enc = new TextEncoder();
    const r = await this.acm.send(
      new ImportCertificateCommand({
        Certificate: enc.encode(c.cert),
        PrivateKey: enc.encode(c.key),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return r.CertificateArn as string;
  }

  async acmState(arn: string): Promise<{ serial: string; notAfter: Date; tags: Record<string, string> }> {
    // GetCertificate, not Describe: moto's Describe gives the serial in decimal, ACM in colon-hex.
    const g = await this.acm.send(new GetCertificateCommand({ CertificateArn: arn }));
    const x = new X509Certificate(g.Certificate as string);
    const t = await this.acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
    return {
      serial: normSerial(x.serialNumber),
      notAfter: new Date(x.validTo),
      tags: Object.fromEntries((t.Tags ?? []).map((x) => [x.Key, x.Value])),
    };
  }

  /** Puts a fresh pair into nginx's files and waits until nginx serves it. */
  hostCert(days: number, domains = [DOMAIN]): { serial: string; cert: string; key: string } {
    const c = selfSigned(domains, days);
    writeFileSync(this.p.NGINX_CERT as string, c.cert);
    writeFileSync(this.p.NGINX_KEY as string, c.key, { mode: 0o600 });
    execFileSync(this.p.NGINX_RELOAD as string, { stdio: "ignore" });
    return c;
  }

  hostFiles(): { cert: string; key: string } {
    return { cert: readFileSync(this.p.NGINX_CERT as string, "utf8"), key: readFileSync(this.p.NGINX_KEY as string, "utf8") };
  }

  /** The serial nginx serves right now. */
  served(): Promise<string> {
    const u = new URL(this.p.NGINX_URL as string);
    return new Promise((resolve, reject) => {
      const s = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
        resolve(normSerial(s.getPeerCertificate().serialNumber));
        s.end();
      });
      s.on("error", reject);
    });
  }

  /**
   * The serial nginx serves once it settles on `expected` (within 5 s), else the last one
   * seen: right after a reload, an old worker may still answer a new connection.
   */
  async servedSettled(expected: string): Promise<string> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const got = await this.served();
      if (got === expected || Date.now() > deadline) return got;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** New orders Pebble has received so far (its log names each POST). */
  pebbleOrders(): number {
    const log = readFileSync(join(this.p.OPSCTL_PEERS_DIR as string, "pebble.log"), "utf8");
    return log.split("\n").filter((l) => l.includes("POST /order-plz")).length;
  }

  /**
   * A workspace whose config targets ACM and nginx for service `api`; `over` replaces
   * parts of the rotateCert block (as YAML lines) for the failure cases.
   */
  workspace(o: { directoryUrl?: string; reload?: string; hosts?: boolean; acm?: boolean; domains?: string[]; extra?: string } = {}) {
    const ws = workspace(this.p.MOTO_URL);
    const key = accountKeyFile(ws.dir);
    const host = [
      "      hosts:",
      "        - name: edge-1",
      `          certFile: ${this.p.NGINX_CERT}`,
      `          keyFile: ${this.p.NGINX_KEY}`,
      `          reload: ${o.reload ?? this.p.NGINX_RELOAD}`,
      `          verifyUrl: ${this.p.NGINX_URL}`,
    ];
    const config = [
      "rotateCert:",
      "  acme:",
      `    directoryUrl: ${o.directoryUrl ?? this.p.PEBBLE_DIRECTORY_URL}`,
      `    accountKey: file:${key.path}`,
      `    caCert: ${this.p.PEBBLE_CA_CERT}`,
      `    trustRoots: ${this.p.PEBBLE_ISSUER_ROOT}`,
      "    timeout: 10s",
      "  dns:",
      `    zone: ${ZONE}`,
      "    powerdns:",
      `      apiUrl: ${this.p.PDNS_API_URL}`,
      "      apiKey: env:PDNS_KEY",
      ...(o.extra ? [o.extra] : []),
      "  services:",
      "    api:",
      `      domains: [${(o.domains ?? [DOMAIN]).join(", ")}]`,
      `      acm: ${o.acm ?? true}`,
      ...(o.hosts === false ? [] : host),
    ].join("\n");
    writeFileSync(join(ws.dir, "opsctl.config.yaml"), `${readFileSync(join(ws.dir, "opsctl.config.yaml"), "utf8")}${config}\n`);
    return { dir: ws.dir, env: { ...ws.env, PDNS_KEY: this.p.PDNS_API_KEY as string }, accountKey: key.pem };
  }
}

/** Every line of a PEM body long enough to be recognised; none may appear in any output. */
export function pemLines(pem: string): string[] {
  return pem
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith("-----"));
}
