import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { runBin } from "../support/bin.ts";
import { runDeno, stable } from "../support/deno.ts";
import { workspace } from "../support/e2e-env.ts";
import { KubeAdmin, type KubeAuth, kubePeers, writeKubeconfig } from "../support/kube.ts";

// Deno reaches the Kubernetes API through its own TLS client (Deno.createHttpClient):
// the same deploy-plan over HTTPS against the real kube-apiserver, with its private CA,
// with a client certificate and with a bearer token, must answer exactly like the
// compiled binary.

const kube = kubePeers();
const admin = new KubeAdmin(kube);
let ns = "";
beforeAll(async () => {
  ns = await admin.namespace();
  await admin.seed(ns);
});
afterAll(() => admin.cleanup());

function setup(auth: KubeAuth) {
  const ws = workspace("http://127.0.0.1:9", `deploy:\n  kind: kubernetes\n  namespace: ${ns}\n`);
  const kubeconfig = writeKubeconfig(ws.dir, kube, auth);
  ws.env.KUBECONFIG = kubeconfig;
  return { ...ws, kubeconfig };
}

const args = ["deploy-plan", "--service", "billing", "--environment", "staging", "--image", "registry.example/billing:1.42", "--format", "json"];

describe("deno run -A src/main.ts deploy-plan over HTTPS (real kube-apiserver)", () => {
  for (const auth of ["mtls", "token"] as const) {
    test(`${auth}: same plan as the binary, nothing persisted`, async () => {
      const { dir, env } = setup(auth);
      const deno = await runDeno(args, { cwd: dir, env });
      expect(deno.stderr).toBe("");
      expect(deno.code).toBe(10);
      const verdict = { name: "kubernetes PATCH dryRun=All", status: "passed", detail: `accepted by ${kube.url} (fieldManager opsctl)` };
      expect(deno.json.plan.actions.map((a: { checks: { name: string; status: string }[] }) => a.checks.at(-1))).toEqual([verdict, verdict]);
      const bin = await runBin(args, { cwd: dir, env });
      expect(stable(deno.json)).toEqual(stable(bin.json));
      for (const name of ["billing-api", "billing-worker"]) expect(await admin.writes(ns, name)).toEqual({ generation: 1, managers: ["opsctl-test"] });
    });
  }

  test("skip-verify cannot be honoured per cluster under Deno: exit 4 with the way out", async () => {
    const { dir, env, kubeconfig } = setup("token");
    writeFileSync(kubeconfig, readFileSync(kubeconfig, "utf8").replace(/certificate-authority: .*/, "insecure-skip-tls-verify: true"));
    const r = await runDeno(args.slice(0, -2), { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("insecure-skip-tls-verify needs --unsafely-ignore-certificate-errors");
  });
});
