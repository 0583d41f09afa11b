import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { runBin } from "../support/bin.ts";
import { runDeno, stable } from "../support/deno.ts";
import { workspace } from "../support/e2e-env.ts";
import { BILLING, type KubeAuth, startFakeKube, writeKubeconfig } from "../support/kube.ts";

// Deno reaches the Kubernetes API through its own TLS client (Deno.createHttpClient):
// the same deploy-plan over HTTPS with a private CA, with and without client
// certificates, must answer exactly like the compiled binary.

const { fake, certs } = startFakeKube();
afterAll(() => fake.stop());
beforeEach(() => fake.reset(BILLING));

function setup(auth: KubeAuth) {
  const ws = workspace("http://127.0.0.1:9", "deploy:\n  kind: kubernetes\n  namespace: payments\n");
  ws.env.KUBECONFIG = writeKubeconfig(ws.dir, auth, fake, certs);
  ws.env.DENO_NO_UPDATE_CHECK = "1";
  return ws;
}

describe("deno run -A src/main.ts deploy-plan over HTTPS", () => {
  for (const auth of ["mtls", "ca-token"] as const) {
    test(`${auth}: same plan as the binary, nothing persisted`, async () => {
      const { dir, env } = setup(auth);
      const args = ["deploy-plan", "--service", "billing", "--environment", "staging", "--image", "registry.example/billing:1.42", "--format", "json"];
      const deno = await runDeno(args, { cwd: dir, env });
      expect(deno.stderr).toBe("");
      expect(deno.code).toBe(10);
      expect(deno.json.plan.actions.map((a: { checks: { name: string; status: string }[] }) => a.checks.at(-1))).toEqual([
        {
          name: "kubernetes PATCH dryRun=All",
          status: "passed",
          detail: `accepted by ${auth === "mtls" ? fake.urls.mtls : fake.urls.tls} (fieldManager opsctl)`,
        },
        {
          name: "kubernetes PATCH dryRun=All",
          status: "passed",
          detail: `accepted by ${auth === "mtls" ? fake.urls.mtls : fake.urls.tls} (fieldManager opsctl)`,
        },
      ]);
      const bin = await runBin(args, { cwd: dir, env });
      expect(stable(deno.json)).toEqual(stable(bin.json));
      expect(fake.persistedPatches()).toEqual([]);
    });
  }

  test("skip-verify cannot be honoured per cluster under Deno: exit 4 with the way out", async () => {
    const { dir, env } = setup("skip-verify");
    const r = await runDeno(["deploy-plan", "--service", "billing", "--environment", "staging", "--image", "registry.example/billing:1.42"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("insecure-skip-tls-verify needs --unsafely-ignore-certificate-errors");
  });
});
