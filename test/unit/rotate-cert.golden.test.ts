import { describe, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { acmCert, FakeAcm, fakeAcme, fakeDns } from "../support/fake-certs.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// rotate-cert's plan views with a frozen clock (2026-11-28) and named fakes.

const CONFIG = `region: us-east-1
rotateCert:
  acme:
    directoryUrl: https://acme.test/dir
    accountKey: env:ACME_KEY
  dns:
    zone: example.test.
    powerdns: { apiUrl: "http://pdns.test:8081", apiKey: "env:PDNS_KEY" }
  services:
    api:
      domains: [api.example.test]
`;

const certs = () =>
  new FakeAcm([
    acmCert("arn:aws:acm:us-east-1:123456789012:certificate/soon", "2026-12-03T12:00:00Z", { tags: { Service: "api", Environment: "prod", Name: "api-edge" } }),
    acmCert("arn:aws:acm:us-east-1:123456789012:certificate/later", "2027-02-26T12:00:00Z"),
    acmCert("arn:aws:acm:us-east-1:123456789012:certificate/sans", "2027-01-30T12:00:00Z", { sans: ["api.example.test", "old.example.test"] }),
    acmCert("arn:aws:acm:us-east-1:123456789012:certificate/other", "2026-12-01T12:00:00Z", { tags: { Service: "billing", Environment: "prod" } }),
  ]);

async function run(name: string, argv: string[], zoneExists = true) {
  const repo = tempRepo({ "opsctl.config.yaml": CONFIG }, name);
  // The account key must parse: the fake ACME port sits behind the real key check.
  const ACME_KEY = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const env = { HOME: "/home/operator", XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state`, ACME_KEY, PDNS_KEY: "pdns-golden-key" };
  const r = await runInProcess(argv, {
    cwd: repo,
    env,
    providers: { acm: async () => certs(), acme: async () => fakeAcme("valid"), powerdns: async () => fakeDns(zoneExists) },
  });
  const norm = (t: string) => normalise(t, { "<repo>": repo });
  expectGolden(`${name}.stdout`, norm(r.stdout));
  expectGolden(`${name}.stderr`, norm(r.stderr));
  expectGolden(`${name}.exit`, `${r.code}\n`);
}

describe("rotate-cert golden views", () => {
  for (const format of ["text", "json"]) {
    test(`dry-run plan (${format})`, () =>
      run(`rotate-cert-plan.${format}`, ["rotate-cert", "--environment", "prod", "--service", "api", "--dry-run", "--format", format]));
    test(`missing zone (${format})`, () =>
      run(`rotate-cert-no-zone.${format}`, ["rotate-cert", "--environment", "prod", "--service", "api", "--dry-run", "--format", format], false));
  }
});
