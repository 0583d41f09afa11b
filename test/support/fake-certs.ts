import type { AcmePort } from "../../src/providers/acme/client.ts";
import type { AcmCertificate, AcmPort } from "../../src/providers/aws/acm.ts";
import type { DnsPort } from "../../src/providers/dns/powerdns.ts";

// Named fakes for the in-process golden views of rotate-cert. The same command runs
// against Pebble, PowerDNS and moto ACM end to end (test/e2e/rotate-cert.test.ts).

export function acmCert(arn: string, notAfter: string, o: Partial<AcmCertificate> = {}): AcmCertificate {
  return {
    arn,
    domain: "api.example.test",
    sans: ["api.example.test"],
    notAfter: new Date(notAfter),
    serial: "0a:1b:2c:3d",
    issuer: "Example Old CA",
    keyAlgorithm: "RSA_2048",
    type: "IMPORTED",
    status: "ISSUED",
    inUseBy: [],
    tags: { Service: "api", Environment: "prod" },
    ...o,
  };
}

export class FakeAcm implements AcmPort {
  constructor(readonly certs: AcmCertificate[]) {}
  async listTagged(tags: Record<string, string>) {
    return this.certs.filter((c) => Object.entries(tags).every(([k, v]) => c.tags[k] === v));
  }
  async describe(arn: string) {
    return this.certs.find((c) => c.arn === arn);
  }
  async reimport(): Promise<void> {
    throw new Error("FakeAcm: golden views never apply");
  }
}

export const fakeAcme = (status: "valid" | "missing" = "valid"): AcmePort => ({
  checkAccount: async () => ({ status, url: "https://acme.test/acct/1" }),
  issue: async () => {
    throw new Error("fakeAcme: golden views never issue");
  },
});

export const fakeDns = (zoneExists = true): DnsPort => ({
  checkZone: async () => (zoneExists ? { ok: true } : { ok: false, reason: "zone example.test. does not exist on PowerDNS server localhost" }),
  addTxt: async () => {},
  removeTxt: async () => {},
});
