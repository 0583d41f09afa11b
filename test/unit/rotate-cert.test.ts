import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Target } from "../../src/commands/rotate-cert/inventory.ts";
import { type Criteria, selectCertificates } from "../../src/commands/rotate-cert/select.ts";
import { type CertInfo, certInfo, checkNewCertificate, normSerial } from "../../src/commands/rotate-cert/x509.ts";
import { selfSigned } from "../support/certs.ts";
import { FROZEN_NOW } from "../support/inproc.ts";

const DAY = 86_400_000;
const criteria: Criteria = {
  service: "api",
  domains: ["api.example.test"],
  renewWithinMs: 30 * DAY,
  renewWithinText: "30d",
  force: false,
  now: FROZEN_NOW,
  issuance: { directoryUrl: "https://acme.test/dir", challenge: "dns-01", dnsProvider: "powerdns", zone: "example.test.", keyType: "rsa-2048" },
};

function cert(daysLeft: number, sans = ["api.example.test"]): CertInfo {
  return {
    serial: `S${daysLeft}`,
    notBefore: new Date(0),
    notAfter: new Date(FROZEN_NOW.getTime() + daysLeft * DAY),
    sans,
    issuer: "CN=Old CA",
    subject: "",
    keyAlgorithm: "RSA_2048",
  };
}
const acm = (id: string, c: CertInfo, type = "IMPORTED"): Target => ({
  kind: "acm",
  id,
  name: id,
  cert: c,
  acm: { arn: id, type, status: "ISSUED", inUseBy: [] },
});

describe("rotate-cert selection", () => {
  const targets = [
    acm("arn:soon", cert(5)),
    acm("arn:later", cert(90)),
    acm("arn:edge", cert(30)),
    acm("arn:sans", cert(80, ["api.example.test", "old.example.test"])),
    acm("arn:amazon", cert(2), "AMAZON_ISSUED"),
  ];

  test("renews what expires within the window (boundary included) or has other SANs; skips the rest with days left", () => {
    const { actions, skipped } = selectCertificates(targets, criteria);
    expect(actions.map((a) => a.resource.id)).toEqual(["arn:soon", "arn:edge", "arn:sans"]);
    expect(actions[2]?.reason.summary).toContain("SANs differ from the configured domains (extra old.example.test)");
    expect(skipped.map((s) => [s.resource.id, s.reason])).toEqual([
      ["arn:later", "expires 2027-02-26, 90 days left > 30d; SANs match"],
      ["arn:amazon", "AMAZON_ISSUED certificate: ACM renews it, it cannot be re-imported"],
    ]);
  });

  test("each action records the old certificate, how the new one is obtained, the exact call and a serial precondition", () => {
    const [a] = selectCertificates(targets, criteria).actions;
    expect(a?.reason.summary).toBe(
      "expires 2026-12-03, 5 days left ≤ 30d; SANs api.example.test; issuer CN=Old CA; serial S5; new from https://acme.test/dir via dns-01 in example.test. (powerdns)",
    );
    expect(a?.resource.attributes).toMatchObject({ daysLeft: 5, serial: "S5", issuer: "CN=Old CA", sans: ["api.example.test"], target: "acm arn:soon" });
    expect(a?.steps).toEqual([{ service: "acme", operation: "Order", parameters: { ...criteria.issuance, domains: ["api.example.test"] } }]);
    expect(a?.call.parameters).toMatchObject({ CertificateArn: "arn:soon", PrivateKey: "(new key, never shown)" });
    expect(a?.preconditions).toEqual([
      { description: "the certificate in place is still the one planned for", attribute: "serial", expected: "S5", test: "equals" },
    ]);
  });

  test("--force renews everything it may; an expired certificate says so", () => {
    const forced = selectCertificates([...targets, acm("arn:gone", cert(-3))], { ...criteria, force: true });
    expect(forced.actions.map((a) => a.resource.id)).toEqual(["arn:soon", "arn:later", "arn:edge", "arn:sans", "arn:gone"]);
    expect(forced.actions[1]?.reason.summary).toStartWith("--force (expires 2027-02-26, 90 days left)");
    expect(forced.actions[4]?.reason.summary).toStartWith("expired 2026-11-25");
  });
});

/** A CA, an intermediate and a leaf made with openssl, so the chain checks see real signatures. */
function pki() {
  const d = mkdtempSync(join(tmpdir(), "opsctl-pki-"));
  const o = (...args: string[]) => execFileSync("openssl", args, { cwd: d, stdio: "ignore" });
  o(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "root.key",
    "-out",
    "root.pem",
    "-days",
    "30",
    "-subj",
    "/CN=Test Root",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
  );
  o("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=Test Intermediate");
  require("node:fs").writeFileSync(join(d, "ca.ext"), "basicConstraints=critical,CA:TRUE\n");
  o("x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "int.pem", "-days", "30", "-extfile", "ca.ext");
  o("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=api.example.test");
  require("node:fs").writeFileSync(join(d, "leaf.ext"), "subjectAltName=DNS:api.example.test\n");
  o("x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "20", "-extfile", "leaf.ext");
  const r = (f: string) => readFileSync(join(d, f), "utf8");
  return { root: r("root.pem"), int: r("int.pem"), leaf: r("leaf.pem"), leafKey: r("leaf.key"), intKey: r("int.key") };
}

describe("checks on a new certificate", () => {
  const p = pki();
  const old = { ...certInfo(p.leaf), notAfter: new Date(Date.now() + 5 * DAY) };
  const base = { keyPem: p.leafKey, fullchainPem: `${p.leaf}${p.int}`, old, roots: [p.root], allowSanChange: false, forAcm: true };
  const status = (checks: { name: string; status: string }[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));

  test("a good certificate passes every check", () => {
    expect(status(checkNewCertificate(base))).toEqual({
      "new.key-matches": "passed",
      "new.chain": "passed",
      "new.sans-cover-old": "passed",
      "new.not-after-later": "passed",
      "new.acm-import-limits": "passed",
    });
  });

  test("each failure is caught and explained", () => {
    expect(status(checkNewCertificate({ ...base, keyPem: p.intKey }))["new.key-matches"]).toBe("failed");
    const noRoot = checkNewCertificate({ ...base, roots: [] }).find((c) => c.name === "new.chain");
    expect(noRoot?.detail).toContain("chain ends at CN=Test Root, which is not a trusted root");
    const gap = checkNewCertificate({ ...base, fullchainPem: `${p.leaf}${p.root}` }).find((c) => c.name === "new.chain");
    expect(gap?.detail).toBe("certificate 0 (CN=api.example.test) is not signed by certificate 1 (CN=Test Root)");
    const wider = { ...old, sans: ["api.example.test", "www.example.test"] };
    expect(checkNewCertificate({ ...base, old: wider }).find((c) => c.name === "new.sans-cover-old")).toMatchObject({
      status: "failed",
      detail: "new certificate lacks www.example.test (pass --allow-san-change to accept)",
    });
    expect(status(checkNewCertificate({ ...base, old: wider, allowSanChange: true }))["new.sans-cover-old"]).toBe("passed");
    expect(status(checkNewCertificate({ ...base, old: { ...old, notAfter: new Date(Date.now() + 60 * DAY) } }))["new.not-after-later"]).toBe("failed");
  });

  test("ACM's import limits: a 1024-bit RSA key is refused", () => {
    const weak = selfSignedRsa1024();
    const checks = checkNewCertificate({ ...base, keyPem: weak.key, fullchainPem: weak.cert, roots: [weak.cert] });
    expect(checks.find((c) => c.name === "new.acm-import-limits")).toMatchObject({ status: "failed", detail: "ACM cannot import a RSA_1024 key" });
  });

  test("serials compare across ACM's colon-hex, node's hex and leading zeros", () => {
    expect(normSerial("0a:1b:ff")).toBe("A1BFF");
    expect(normSerial("0A1BFF")).toBe("A1BFF");
    expect(certInfo(selfSigned(["x.example.test"], 1).cert).sans).toEqual(["x.example.test"]);
  });
});

function selfSignedRsa1024() {
  const d = mkdtempSync(join(tmpdir(), "opsctl-weak-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:1024",
      "-nodes",
      "-keyout",
      "k",
      "-out",
      "c",
      "-days",
      "400",
      "-subj",
      "/CN=api.example.test",
      "-addext",
      "subjectAltName=DNS:api.example.test",
    ],
    { cwd: d, stdio: "ignore" },
  );
  return { cert: readFileSync(join(d, "c"), "utf8"), key: readFileSync(join(d, "k"), "utf8") };
}
