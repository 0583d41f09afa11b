import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAKE_TOKEN, type FakeDeploymentSeed, FakeKubeApiServer } from "./fake-kube-apiserver.ts";
import { type KubeCerts, makeKubeCerts } from "./kube-certs.ts";

export type KubeAuth = "mtls" | "ca-token" | "skip-verify" | "http";

/** One FAKE API server with fresh certificates for a test file. */
export function startFakeKube(): { fake: FakeKubeApiServer; certs: KubeCerts } {
  const certs = makeKubeCerts(mkdtempSync(join(tmpdir(), "opsctl-kube-certs-")));
  return { fake: new FakeKubeApiServer().start(certs), certs };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * A real kubeconfig file for one way of reaching the fake: CA + client certificate
 * (data inline), CA file + bearer token, insecure-skip-tls-verify + token, plain HTTP.
 */
export function writeKubeconfig(dir: string, auth: KubeAuth, fake: FakeKubeApiServer, certs: KubeCerts, o: { namespace?: string } = {}): string {
  const server = auth === "mtls" ? fake.urls.mtls : auth === "http" ? fake.urls.http : fake.urls.tls;
  const cluster =
    auth === "mtls"
      ? `    certificate-authority-data: ${b64(certs.ca)}\n`
      : auth === "ca-token"
        ? `    certificate-authority: ${join(certs.dir, "ca.crt")}\n`
        : auth === "skip-verify"
          ? "    insecure-skip-tls-verify: true\n"
          : "";
  const user =
    auth === "mtls" ? `    client-certificate-data: ${b64(certs.clientCert)}\n    client-key-data: ${b64(certs.clientKey)}\n` : `    token: ${FAKE_TOKEN}\n`;
  const path = join(dir, `kubeconfig-${auth}`);
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
current-context: fake-${auth}
clusters:
- name: fake
  cluster:
    server: ${server}
${cluster}contexts:
- name: fake-${auth}
  context:
    cluster: fake
    user: deployer${o.namespace ? `\n    namespace: ${o.namespace}` : ""}
- name: elsewhere
  context:
    cluster: fake
    user: deployer
    namespace: elsewhere
users:
- name: deployer
  user:
${user}`,
  );
  return path;
}

export const BILLING: FakeDeploymentSeed[] = [
  {
    namespace: "payments",
    name: "billing-api",
    labels: { app: "billing" },
    replicas: 3,
    containers: [
      { name: "api", image: "registry.example/billing:1.41" },
      { name: "envoy", image: "registry.example/envoy:1.30" },
    ],
  },
  {
    namespace: "payments",
    name: "billing-worker",
    labels: { app: "billing" },
    replicas: 2,
    containers: [{ name: "worker", image: "registry.example/billing:1.41" }],
  },
  { namespace: "payments", name: "ledger", labels: { app: "ledger" }, replicas: 2, containers: [{ name: "ledger", image: "registry.example/ledger:3.0" }] },
];
