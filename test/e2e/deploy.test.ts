import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { FAKE_TOKEN } from "../support/fake-kube-apiserver.ts";
import { BILLING, type KubeAuth, startFakeKube, writeKubeconfig } from "../support/kube.ts";

// The compiled binary against the FAKE Kubernetes API server (no real one can run
// here), reached through real kubeconfig files over mTLS, CA + token, skip-verify
// and plain HTTP.

const { fake, certs } = startFakeKube();
afterAll(() => fake.stop());
beforeEach(() => fake.reset(BILLING));

const NEW = "registry.example/billing:1.42";
const OLD = "registry.example/billing:1.41";

function setup(auth: KubeAuth = "mtls", extra = "") {
  const ws = workspace("http://127.0.0.1:9", `deploy:\n  kind: kubernetes\n  namespace: payments\n  pollInterval: 1s\n${extra}`);
  const kubeconfig = writeKubeconfig(ws.dir, auth, fake, certs);
  ws.env.KUBECONFIG = kubeconfig;
  return { ...ws, kubeconfig };
}

const images = () => ({
  api: fake.image("payments", "billing-api", "api"),
  envoy: fake.image("payments", "billing-api", "envoy"),
  worker: fake.image("payments", "billing-worker", "worker"),
});
const untouched = { api: OLD, envoy: "registry.example/envoy:1.30", worker: OLD };

describe("deploy-plan on Kubernetes", () => {
  test("needs no cloud region: the scope is the environment", async () => {
    const { dir, env } = setup();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "opsctl.config.yaml"), "deploy:\n  kind: kubernetes\n  namespace: payments\n  pollInterval: 1s\n");
    const r = await runBin(["deploy-plan", "--environment", "prod", "--service", "billing", "--image", NEW, "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.json.scope).toEqual({ environment: "prod" });
    expect(images()).toEqual(untouched);
  });

  test("exits 10 with the image diff per container, validated by dryRun=All, and changes nothing", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy-plan", "--environment", "prod", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.stdout).toContain("deploy — dry run — environment=prod region=us-east-1");
    expect(r.stdout).toMatch(
      /payments\/billing-api\s+billing-api\s+api: registry.example\/billing:1.41 → registry.example\/billing:1.42; 3 replica\(s\), RollingUpdate/,
    );
    expect(r.stdout).toMatch(/payments\/billing-worker\s+billing-worker\s+worker: registry.example\/billing:1.41 → registry.example\/billing:1.42; 2 replica/);
    expect(r.stdout).not.toContain("ledger");
    expect(r.stdout).toContain("Dry run: 2 change(s), nothing applied.");
    expect(r.stderr).toBe("");
    const patches = fake.requests.filter((q) => q.method === "PATCH");
    expect(patches.map((p) => [p.path, p.dryRun, p.fieldManager])).toEqual([
      ["/apis/apps/v1/namespaces/payments/deployments/billing-api", true, "opsctl"],
      ["/apis/apps/v1/namespaces/payments/deployments/billing-worker", true, "opsctl"],
    ]);
    expect(images()).toEqual(untouched);
  });

  test("JSON: one envelope; the plan records the exact patch, the wait and the dry-run check", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW, "--format", "json", "--wait", "5m"], {
      cwd: dir,
      env,
    });
    expect(r.code).toBe(10);
    expect(r.json.mode).toBe("dry-run");
    expect(r.json.command).toBe("deploy");
    expect(r.json.exit).toEqual({ code: 10, name: "changes" });
    const api = r.json.plan.actions[0];
    expect(api.operation).toBe("deploy");
    expect(api.reason.evidence.images).toEqual([`api: ${OLD} → ${NEW}`]);
    expect(api.call.parameters.patch).toEqual({ spec: { template: { spec: { containers: [{ name: "api", image: NEW }] } } } });
    expect(api.call.parameters.waitForRollout).toBe("5m");
    expect(api.checks.find((c: { name: string }) => c.name === "kubernetes PATCH dryRun=All").status).toBe("passed");
    expect(api.preconditions).toEqual([
      { description: "container api still runs the image the plan saw", attribute: "containers.api.image", expected: OLD, test: "equals" },
    ]);
    expect(r.json.plan.parameters).toMatchObject({ service: "billing", image: NEW, kind: "kubernetes", labelSelector: "app=billing", namespace: "payments" });
    expect(images()).toEqual(untouched);
  });

  for (const auth of ["ca-token", "skip-verify", "http"] as const) {
    test(`reaches the API server with a ${auth} kubeconfig`, async () => {
      const { dir, env } = setup(auth);
      const r = await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW, "--dry-run"], { cwd: dir, env });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(10);
      expect(fake.persistedPatches()).toEqual([]);
    });
  }

  test("--show-config shows the resolved target and where each value came from; contacts nothing", async () => {
    const { dir, env } = setup("mtls", "environments:\n  prod:\n    deploy:\n      context: fake-mtls\n");
    const r = await runBin(
      ["deploy-plan", "--environment", "prod", "--service", "billing", "--image", NEW, "--namespace", "payments", "--show-config", "--format", "json"],
      {
        cwd: dir,
        env: { ...env, OPSCTL_DEPLOY__LABEL_SELECTOR: "tier=web,app={service}" },
      },
    );
    expect(r.code).toBe(0);
    const key = (k: string) => r.json.result.keys.find((x: { key: string }) => x.key === k);
    expect(key("deploy.context")).toMatchObject({ value: "fake-mtls", source: `${join(dir, "opsctl.config.yaml")}: environments.prod.deploy.context` });
    expect(key("deploy.namespace")).toMatchObject({ value: "payments", source: "flag --namespace" });
    expect(key("deploy.labelSelector")).toMatchObject({ value: "tier=web,app={service}", source: "env OPSCTL_DEPLOY__LABEL_SELECTOR" });
    expect(key("deploy.kind")).toMatchObject({ value: "kubernetes" });
    expect(fake.requests).toEqual([]);
  });

  test("deploy --dry-run is the same read-only plan", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--environment", "prod", "--service", "billing", "--image", NEW, "--dry-run", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.json.plan.actions).toHaveLength(2);
    expect(fake.persistedPatches()).toEqual([]);
    expect(images()).toEqual(untouched);
  });

  test("a protected environment needs no --yes for a plan", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy-plan", "--service", "billing", "--environment", "production", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(10);
  });
});

describe("deploy on Kubernetes", () => {
  test("patches, waits for the rollout, exits 0; a second run at the same image has nothing to do", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.json.mode).toBe("apply");
    expect(r.json.result.actions.map((a: { status: string; detail: string }) => [a.status, a.detail])).toEqual([
      ["applied", "rolled out: 3/3 updated, 3 ready, 3 available"],
      ["applied", "rolled out: 2/2 updated, 2 ready, 2 available"],
    ]);
    expect(images()).toEqual({ api: NEW, envoy: "registry.example/envoy:1.30", worker: NEW });
    expect(fake.persistedPatches().map((p) => p.fieldManager)).toEqual(["opsctl", "opsctl"]);
    // The persisted patch carries the resourceVersion it read: a concurrent writer would be a 409.
    const persisted = fake.persistedPatches()[0]?.body as { metadata: { resourceVersion: string } } | undefined;
    expect(persisted?.metadata.resourceVersion).toBe("100");

    const again = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already runs registry.example/billing:1.42 (api)");
    expect(fake.persistedPatches()).toHaveLength(2);
  });

  test("an image the admission webhook rejects in the dry run → 3 with the server's message, nothing patched", async () => {
    const { dir, env } = setup();
    fake.rejectImages.add("registry.example/billing:evil");
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", "registry.example/billing:evil"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      '422 Invalid: admission webhook "image-policy.fake.example" denied the request: image registry.example/billing:evil is not from an allowed registry',
    );
    expect(fake.persistedPatches()).toEqual([]);
    expect(images()).toEqual(untouched);
  });

  test("a rollout that stalls (ProgressDeadlineExceeded) → 4 with the rollout status", async () => {
    const { dir, env } = setup();
    fake.stallImages.add("registry.example/billing:1.43-broken");
    const r = await runBin(
      ["deploy", "--environment", "staging", "--service", "billing", "--image", "registry.example/billing:1.43-broken", "--format", "json"],
      {
        cwd: dir,
        env,
      },
    );
    expect(r.code).toBe(4);
    const msgs = r.json.result.actions.map((a: { error: { message: string } }) => a.error.message);
    expect(msgs[0]).toContain("payments/billing-api: patched, but the rollout stalled: ProgressDeadlineExceeded: ReplicaSet");
    expect(msgs[0]).toContain("1/3 updated");
    expect(r.json.result.actions.map((a: { error: { class: string } }) => a.error.class)).toEqual(["remote", "remote"]);
  });

  test("a rollout still running when --wait runs out → 4; --no-wait returns once the patch is accepted", async () => {
    const { dir, env } = setup();
    fake.stepMs = 5000;
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--wait", "1s"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("payments/billing-api: patched, but the rollout not finished after 1s");
    fake.reset(BILLING);
    fake.stepMs = 5000;
    const nw = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--no-wait", "--format", "json"], { cwd: dir, env });
    fake.stepMs = 300;
    expect(nw.code).toBe(0);
    expect(nw.json.result.actions[0].detail).toBe("patched to generation 2; rollout not awaited (--no-wait)");
    expect(images().api).toBe(NEW);
  });

  test("a resourceVersion conflict is re-read and retried", async () => {
    const { dir, env } = setup();
    fake.conflicts = 1;
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--concurrency", "1"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(fake.persistedPatches()).toHaveLength(3);
    expect(images()).toMatchObject({ api: NEW, worker: NEW });
  });

  test("a saved plan applies with `opsctl apply`, and is refused (3) once the image drifted", async () => {
    const { dir, env } = setup();
    const plan = await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW, "--out", "plan.json"], { cwd: dir, env });
    expect(plan.code).toBe(10);
    expect(statSync(join(dir, "plan.json")).mode & 0o777).toBe(0o600);
    const ok = await runBin(["apply", "plan.json"], { cwd: dir, env });
    expect(ok.code).toBe(0);
    expect(images().worker).toBe(NEW);

    fake.reset(BILLING);
    await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW, "--out", "plan2.json"], { cwd: dir, env });
    const d = fake.deployments.get("payments/billing-worker");
    if (d?.seed.containers[0]) d.seed.containers[0].image = "registry.example/billing:1.41-hotfix";
    const stale = await runBin(["apply", "plan2.json"], { cwd: dir, env });
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain("container worker still runs the image the plan saw");
    expect(fake.persistedPatches()).toEqual([]);
  });

  test("a protected environment refuses to deploy without --yes (2) and deploys with it", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--environment", "prod", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(fake.requests).toEqual([]);
    const yes = await runBin(["deploy", "--environment", "prod", "--service", "billing", "--image", NEW, "--yes"], { cwd: dir, env });
    expect(yes.code).toBe(0);
    expect(images().api).toBe(NEW);
  });
});

describe("deploy: bad input and unusable targets change nothing", () => {
  const cases: [string, string[], string, string, number][] = [
    ["unparseable image", ["--image", "Registry.Example/Billing::1"], "", "--image: 'Registry.Example/Billing::1' is not an image reference", 2],
    ["--wait with --no-wait", ["--image", NEW, "--wait", "1m", "--no-wait"], "", "--wait and --no-wait contradict each other", 2],
    ["bad --wait", ["--image", NEW, "--wait", "soon"], "", "--wait: must be a number with a unit", 2],
    ["missing --image", [], "", "--image is required", 2],
    ["unknown context", ["--image", NEW, "--context", "nope"], "", "has no context 'nope'; contexts: fake-mtls, elsewhere", 2],
    ["bad kind in config", ["--image", NEW], "environments:\n  staging:\n    deploy:\n      kind: nomad\n", "deploy.kind: must be one of kubernetes, ecs", 2],
    [
      "no Deployments match",
      ["--image", NEW, "--namespace", "elsewhere"],
      "",
      "discovery: no Deployments match app=billing in namespace elsewhere, context fake-mtls",
      3,
    ],
    [
      "ambiguous container",
      ["--image", "registry.example/other:1"],
      "",
      "no container runs registry.example/other and there are 2: api, envoy; set deploy.container",
      3,
    ],
  ];
  for (const [name, args, extra, message, code] of cases) {
    test(`${name} → ${code}`, async () => {
      const { dir, env } = setup("mtls", extra);
      const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", ...args], { cwd: dir, env });
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(code);
      expect(r.stdout).not.toContain("applied");
      expect(fake.persistedPatches()).toEqual([]);
      expect(images()).toEqual(untouched);
    });
  }

  test("a kubeconfig that does not exist → 2 naming it", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--kubeconfig", "missing.yaml"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("kubeconfig missing.yaml does not exist (deploy.kubeconfig)");
  });

  test("an unreachable API server → 4 naming it; a rejected token → 4", async () => {
    const { dir, env } = setup("http");
    const dead = `${readFileSync(env.KUBECONFIG as string, "utf8").replace(fake.urls.http, "http://127.0.0.1:9")}`;
    await Bun.write(join(dir, "dead.yaml"), dead);
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--kubeconfig", "dead.yaml"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("cannot reach the Kubernetes API at http://127.0.0.1:9");
    await Bun.write(join(dir, "badtoken.yaml"), readFileSync(env.KUBECONFIG as string, "utf8").replace(FAKE_TOKEN, "wrong-token-123"));
    const t = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--kubeconfig", "badtoken.yaml"], { cwd: dir, env });
    expect(t.code).toBe(4);
    expect(t.stderr).toContain("rejected the credentials");
    expect(fake.persistedPatches()).toEqual([]);
  });

  test("the client key and the token never appear in any output, plan file or audit record", async () => {
    const canaries = [certs.clientKey.split("\n")[1] as string, FAKE_TOKEN];
    const runs: { stdout: string; stderr: string }[] = [];
    for (const auth of ["mtls", "ca-token"] as const) {
      const { dir, env } = setup(auth);
      for (const args of [
        ["deploy-plan", "--verbose", "--out", "p.json"],
        ["deploy-plan", "--format", "json", "--verbose"],
        ["deploy-plan", "--show-config", "--format", "json"],
        ["deploy", "--verbose"],
        ["deploy", "--format", "json", "--image", "bad image"],
      ]) {
        const [cmd, ...rest] = args as [string, ...string[]];
        runs.push(
          await runBin([cmd, "--service", "billing", "--environment", "staging", "--image", "registry.example/billing:1.50", ...rest], { cwd: dir, env }),
        );
      }
      runs.push({ stdout: readFileSync(join(dir, "p.json"), "utf8"), stderr: allFiles(join(dir, "home", ".state")) });
      fake.reset(BILLING);
    }
    for (const r of runs)
      for (const c of canaries) {
        expect(r.stdout).not.toContain(c);
        expect(r.stderr).not.toContain(c);
        // Not even scrubbed: opsctl never tries to print them.
        expect(r.stdout + r.stderr).not.toContain("[redacted]");
      }
  });
});

function allFiles(dir: string): string {
  if (!existsSync(dir)) return "";
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
}
