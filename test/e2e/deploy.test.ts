import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { FaultProxy } from "../support/fault-proxy.ts";
import { KubeAdmin, type KubeAuth, kubePeers, writeKubeconfig } from "../support/kube.ts";

// The compiled binary against the real Kubernetes control plane from scripts/peers.sh
// (kube-apiserver + kube-controller-manager + kwok): real strategic-merge PATCHes,
// dryRun=All, RBAC, admission and rollouts. Every test gets its own namespace.

const kube = kubePeers();
const admin = new KubeAdmin(kube);
afterAll(() => admin.cleanup());

const NEW = "registry.example/billing:1.42";
const OLD = "registry.example/billing:1.41";
const untouched = {
  "billing-api": { api: OLD, envoy: "registry.example/envoy:1.30" },
  "billing-worker": { worker: OLD },
  ledger: { ledger: "registry.example/ledger:3.0" },
};

let ns = "";
beforeEach(async () => {
  ns = await admin.namespace();
  await admin.seed(ns);
});

function setup(auth: KubeAuth = "mtls", extra = "", o: { server?: string; token?: string } = {}) {
  const ws = workspace("http://127.0.0.1:9", `deploy:\n  kind: kubernetes\n  namespace: ${ns}\n  pollInterval: 1s\n${extra}`);
  const kubeconfig = writeKubeconfig(ws.dir, kube, auth, o);
  ws.env.KUBECONFIG = kubeconfig;
  return { ...ws, kubeconfig };
}

/** A plain-HTTP fault proxy in front of the real HTTPS API server (token users only: it ends TLS). */
async function proxied(extra = "") {
  const proxy = await new FaultProxy(kube.url, { upstreamTls: { ca: kube.ca }, errors: "kube" }).start();
  const ws = setup("token", extra, { server: proxy.url });
  return { ...ws, proxy };
}

/** Nothing persisted by opsctl: generation 1 as seeded, and no "opsctl" field manager. */
async function expectUnchanged() {
  expect(await admin.images(ns)).toEqual(untouched);
  for (const name of ["billing-api", "billing-worker"]) expect(await admin.writes(ns, name)).toEqual({ generation: 1, managers: ["opsctl-test"] });
}

describe("deploy-plan on Kubernetes (real kube-apiserver)", () => {
  test("needs no cloud region: the scope is the environment", async () => {
    const { dir, env } = setup();
    writeFileSync(join(dir, "opsctl.config.yaml"), `deploy:\n  kind: kubernetes\n  namespace: ${ns}\n  pollInterval: 1s\n`);
    const r = await runBin(["deploy-plan", "--environment", "prod", "--service", "billing", "--image", NEW, "--format", "json"], { cwd: dir, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(10);
    expect(r.json.scope).toEqual({ environment: "prod" });
    await expectUnchanged();
  });

  test("exits 10 with the image diff per container, validated by the server's dryRun=All, and changes nothing", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy-plan", "--environment", "prod", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(10);
    expect(r.stdout).toContain("deploy — dry run — environment=prod region=us-east-1");
    expect(r.stdout).toMatch(
      new RegExp(`${ns}/billing-api\\s+billing-api\\s+api: registry.example/billing:1.41 → registry.example/billing:1.42; 3 replica\\(s\\), RollingUpdate`),
    );
    expect(r.stdout).toMatch(
      new RegExp(`${ns}/billing-worker\\s+billing-worker\\s+worker: registry.example/billing:1.41 → registry.example/billing:1.42; 2 replica`),
    );
    expect(r.stdout).not.toContain("ledger");
    expect(r.stdout).toContain("Dry run: 2 change(s), nothing applied.");
    await expectUnchanged();
  });

  test("on the wire: list, then one strategic-merge PATCH with dryRun=All and fieldManager=opsctl per Deployment", async () => {
    const { dir, env, proxy } = await proxied();
    try {
      const r = await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW], { cwd: dir, env });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(10);
      const base = `/apis/apps/v1/namespaces/${ns}/deployments`;
      expect(proxy.seen.map((s) => `${s.operation}${s.search}`)).toEqual([
        `GET ${base}?labelSelector=app%3Dbilling`,
        `PATCH ${base}/billing-api?fieldManager=opsctl&dryRun=All`,
        `PATCH ${base}/billing-worker?fieldManager=opsctl&dryRun=All`,
      ]);
      expect(JSON.parse(proxy.seen[1]?.body ?? "")).toEqual({ spec: { template: { spec: { containers: [{ name: "api", image: NEW }] } } } });
      await expectUnchanged();
    } finally {
      proxy.stop();
    }
  });

  test("JSON: one envelope; the plan records the exact patch, the wait and the server's dry-run verdict", async () => {
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
    expect(api.reason.evidence.generation).toBe(1);
    expect(api.call.parameters).toMatchObject({ server: kube.url, namespace: ns, name: "billing-api", fieldManager: "opsctl", waitForRollout: "5m" });
    expect(api.call.parameters.patch).toEqual({ spec: { template: { spec: { containers: [{ name: "api", image: NEW }] } } } });
    expect(api.checks.find((c: { name: string }) => c.name === "kubernetes PATCH dryRun=All")).toEqual({
      name: "kubernetes PATCH dryRun=All",
      status: "passed",
      detail: `accepted by ${kube.url} (fieldManager opsctl)`,
    });
    expect(api.preconditions).toEqual([
      { description: "container api still runs the image the plan saw", attribute: "containers.api.image", expected: OLD, test: "equals" },
    ]);
    expect(r.json.plan.parameters).toMatchObject({ service: "billing", image: NEW, kind: "kubernetes", labelSelector: "app=billing", namespace: ns });
    await expectUnchanged();
  });

  test("reaches the server as the static-token user, with insecure-skip-tls-verify, and in plain HTTP through a proxy", async () => {
    const runs = [setup("token")];
    const skip = setup("token");
    writeFileSync(skip.kubeconfig, readFileSync(skip.kubeconfig, "utf8").replace(/certificate-authority: .*/, "insecure-skip-tls-verify: true"));
    runs.push(skip);
    const { proxy, ...viaProxy } = await proxied();
    runs.push({ ...viaProxy });
    try {
      for (const { dir, env } of runs) {
        const r = await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW, "--dry-run", "--format", "json"], {
          cwd: dir,
          env,
        });
        expect(r.stderr).toBe("");
        expect(r.code).toBe(10);
        expect(r.json.plan.actions.map((a: { checks: { status: string }[] }) => a.checks.at(-1)?.status)).toEqual(["passed", "passed"]);
      }
    } finally {
      proxy.stop();
    }
    await expectUnchanged();
  });

  test("in a pod: the service account's token, CA and namespace files (KUBERNETES_SERVICE_HOST, no kubeconfig)", async () => {
    const { dir, env } = setup();
    delete env.KUBECONFIG;
    writeFileSync(join(dir, "opsctl.config.yaml"), "deploy:\n  kind: kubernetes\n  pollInterval: 1s\n");
    const port = new URL(kube.url).port;
    // A private mount namespace shows this process (only) the files at the path every pod has them.
    const sa = "/var/run/secrets/kubernetes.io/serviceaccount";
    const script = `mount -t tmpfs tmpfs /run && mkdir -p ${sa} && mount --bind "$SA_SRC" ${sa} && exec "$@"`;
    const { BIN } = await import("../support/bin.ts");
    const { runProcess } = await import("../support/bin.ts");
    const inPod = (args: string[]) =>
      runProcess(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", BIN, ...args], {
        cwd: dir,
        env: { ...env, SA_SRC: kube.saDir, KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: port },
      });
    const r = await inPod(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW, "--namespace", ns, "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(10);
    expect(r.json.plan.actions).toHaveLength(2);
    // The namespace file names the service account's own namespace: without --namespace the plan looks there.
    const own = await inPod(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW]);
    expect(own.code).toBe(3);
    expect(own.stderr).toContain(`no Deployments match app=billing in namespace ${kube.systemNamespace}, context in-cluster`);
    await expectUnchanged();
  });

  test("--show-config shows the resolved target and where each value came from; contacts nothing", async () => {
    const { dir, env, proxy } = await proxied("environments:\n  prod:\n    deploy:\n      context: elsewhere\n");
    try {
      const r = await runBin(
        ["deploy-plan", "--environment", "prod", "--service", "billing", "--image", NEW, "--namespace", ns, "--show-config", "--format", "json"],
        {
          cwd: dir,
          env: { ...env, OPSCTL_DEPLOY__LABEL_SELECTOR: "tier=web,app={service}" },
        },
      );
      expect(r.code).toBe(0);
      const key = (k: string) => r.json.result.keys.find((x: { key: string }) => x.key === k);
      expect(key("deploy.context")).toMatchObject({ value: "elsewhere", source: `${join(dir, "opsctl.config.yaml")}: environments.prod.deploy.context` });
      expect(key("deploy.namespace")).toMatchObject({ value: ns, source: "flag --namespace" });
      expect(key("deploy.labelSelector")).toMatchObject({ value: "tier=web,app={service}", source: "env OPSCTL_DEPLOY__LABEL_SELECTOR" });
      expect(key("deploy.kind")).toMatchObject({ value: "kubernetes" });
      expect(proxy.seen).toEqual([]);
    } finally {
      proxy.stop();
    }
  });

  test("deploy --dry-run is the same read-only plan; a protected environment needs no --yes for it", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--environment", "prod", "--service", "billing", "--image", NEW, "--dry-run", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.json.plan.actions).toHaveLength(2);
    const plan = await runBin(["deploy-plan", "--environment", "production", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(plan.code).toBe(10);
    await expectUnchanged();
  });
});

describe("deploy on Kubernetes (real kube-apiserver, controller manager, kwok)", () => {
  test("patches, waits for the rollout to complete, exits 0; a second run at the same image has nothing to do", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.json.mode).toBe("apply");
    expect(r.json.result.actions.map((a: { status: string; detail: string }) => [a.status, a.detail])).toEqual([
      ["applied", "rolled out: 3/3 updated, 3 ready, 3 available"],
      ["applied", "rolled out: 2/2 updated, 2 ready, 2 available"],
    ]);
    expect(await admin.images(ns)).toEqual({
      ...untouched,
      "billing-api": { api: NEW, envoy: "registry.example/envoy:1.30" },
      "billing-worker": { worker: NEW },
    });
    // Persisted by the field manager opsctl, one new generation each; ledger untouched.
    expect(await admin.writes(ns, "billing-api")).toEqual({ generation: 2, managers: ["opsctl", "opsctl-test"] });
    expect(await admin.writes(ns, "billing-worker")).toEqual({ generation: 2, managers: ["opsctl", "opsctl-test"] });
    expect(await admin.writes(ns, "ledger")).toEqual({ generation: 1, managers: ["opsctl-test"] });

    const again = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already runs registry.example/billing:1.42 (api)");
    expect((await admin.writes(ns, "billing-api")).generation).toBe(2);
  });

  test("a ValidatingAdmissionPolicy that denies the image → 3 with the server's message, nothing patched", async () => {
    const undo = await admin.denyImages(ns, "-unsigned");
    try {
      const { dir, env } = setup();
      const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", "registry.example/billing:1.42-unsigned"], {
        cwd: dir,
        env,
      });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `kubernetes PATCH dryRun=All: 422 Invalid: deployments.apps "billing-api" is forbidden: ValidatingAdmissionPolicy 'deny-${ns}' with binding 'deny-${ns}' denied request: images tagged *-unsigned are not allowed in this cluster`,
      );
      expect(r.stderr).toContain("Nothing was changed.");
      await expectUnchanged();
    } finally {
      await undo();
    }
  });

  test("a rollout that stalls (pods never ready, progressDeadlineSeconds passed) → 4 with the rollout status", async () => {
    const stallNs = await admin.namespace();
    await admin.seed(stallNs, undefined, { progressDeadlineSeconds: 4 });
    ns = stallNs;
    const { dir, env } = setup();
    const r = await runBin(
      ["deploy", "--environment", "staging", "--service", "billing", "--image", "registry.example/billing:1.43-unready", "--format", "json"],
      { cwd: dir, env },
    );
    expect(r.code).toBe(4);
    const msgs = r.json.result.actions.map((a: { error: { message: string } }) => a.error.message);
    expect(msgs[0]).toMatch(
      new RegExp(
        `^${ns}/billing-api: patched, but the rollout stalled: ProgressDeadlineExceeded: ReplicaSet "billing-api-[a-z0-9]+" has timed out progressing\\. \\(1/3 updated, 3 ready, 3 available\\)$`,
      ),
    );
    expect(msgs[1]).toContain(`${ns}/billing-worker: patched, but the rollout stalled: ProgressDeadlineExceeded`);
    expect(r.json.result.actions.map((a: { error: { class: string } }) => a.error.class)).toEqual(["remote", "remote"]);
    expect(r.json.exit).toEqual({ code: 4, name: "remote" });
  }, 90_000);

  test("a rollout still running when --wait runs out → 4; --no-wait returns once the patch is accepted", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", "registry.example/billing:1.44-unready", "--wait", "2s"], {
      cwd: dir,
      env,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${ns}/billing-api: patched, but the rollout not finished after 2s`);
    const nw = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--no-wait", "--format", "json"], { cwd: dir, env });
    expect(nw.code).toBe(0);
    expect(nw.json.result.actions[0].detail).toBe("patched to generation 3; rollout not awaited (--no-wait)");
    expect((await admin.images(ns))["billing-api"]?.api).toBe(NEW);
  });

  test("a concurrent writer between opsctl's read and its PATCH: the server answers 409, opsctl re-reads and retries", async () => {
    const { dir, env, proxy } = await proxied();
    let raced = false;
    proxy.beforeForward = async (operation, _body, dryRun) => {
      if (!raced && !dryRun && operation === `PATCH /apis/apps/v1/namespaces/${ns}/deployments/billing-api`) {
        raced = true;
        // Someone else writes the Deployment (an annotation, not the image) just before our PATCH lands.
        await admin.ok(
          "PATCH",
          `/apis/apps/v1/namespaces/${ns}/deployments/billing-api?fieldManager=someone-else`,
          { metadata: { annotations: { "example.com/touched": "yes" } } },
          "application/strategic-merge-patch+json",
        );
        // The deployment controller answers that write with a status write of its own; let it
        // land first, so exactly one conflict (ours) is in play.
        await Bun.sleep(1500);
      }
      return undefined;
    };
    try {
      const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--concurrency", "1", "--verbose"], {
        cwd: dir,
        env,
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`${ns}/billing-api: resourceVersion conflict (Operation cannot be fulfilled on deployments.apps "billing-api"`);
      const patches = proxy.seen.filter((s) => s.operation.endsWith("/deployments/billing-api") && s.operation.startsWith("PATCH") && !s.dryRun);
      expect(patches).toHaveLength(2);
      const d = (await admin.deployment(ns, "billing-api")) as { metadata: { annotations: Record<string, string> } };
      expect(d.metadata.annotations["example.com/touched"]).toBe("yes");
      expect((await admin.images(ns))["billing-api"]?.api).toBe(NEW);
    } finally {
      proxy.stop();
    }
  });

  test("a saved plan applies with `opsctl apply`, and is refused (3) once another writer changed the image", async () => {
    const { dir, env } = setup();
    const plan = await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW, "--out", "plan.json"], { cwd: dir, env });
    expect(plan.code).toBe(10);
    expect(statSync(join(dir, "plan.json")).mode & 0o777).toBe(0o600);
    const ok = await runBin(["apply", "plan.json"], { cwd: dir, env });
    expect(ok.code).toBe(0);
    expect((await admin.images(ns))["billing-worker"]?.worker).toBe(NEW);

    const next = "registry.example/billing:1.43";
    await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", next, "--out", "plan2.json"], { cwd: dir, env });
    await admin.setImage(ns, "billing-worker", "worker", "registry.example/billing:1.42-hotfix");
    const stale = await runBin(["apply", "plan2.json"], { cwd: dir, env });
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain("container worker still runs the image the plan saw");
    expect(await admin.images(ns)).toMatchObject({ "billing-api": { api: NEW }, "billing-worker": { worker: "registry.example/billing:1.42-hotfix" } });
  });

  test("a protected environment refuses to deploy without --yes (2, nothing contacted) and deploys with it", async () => {
    const { dir, env, proxy } = await proxied();
    try {
      const r = await runBin(["deploy", "--environment", "prod", "--service", "billing", "--image", NEW], { cwd: dir, env });
      expect(r.code).toBe(2);
      expect(proxy.seen).toEqual([]);
      const yes = await runBin(["deploy", "--environment", "prod", "--service", "billing", "--image", NEW, "--yes"], { cwd: dir, env });
      expect(yes.code).toBe(0);
      expect((await admin.images(ns))["billing-api"]?.api).toBe(NEW);
    } finally {
      proxy.stop();
    }
  });
});

describe("deploy: identities the server refuses change nothing", () => {
  test("RBAC: a service account that may get but not patch Deployments → 3 naming the missing permission", async () => {
    const { dir, env } = setup("viewer");
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `kubernetes PATCH dryRun=All: 403 Forbidden: deployments.apps "billing-api" is forbidden: User "system:serviceaccount:${kube.systemNamespace}:opsctl-viewer" cannot patch resource "deployments" in API group "apps" in the namespace "${ns}"`,
    );
    expect(r.stderr).toContain("Nothing was changed.");
    await expectUnchanged();
  });

  test("a wrong static token → 4 naming the kubeconfig, token never printed", async () => {
    const wrong = "0123456789abcdef0123456789abcdef-not-a-token";
    const { dir, env } = setup("token", "", { token: wrong });
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--verbose"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`the Kubernetes API at ${kube.url} rejected the credentials of kubeconfig-token context opsctl-token (401 Unauthorized)`);
    expect(r.stdout + r.stderr).not.toContain(wrong);
    await expectUnchanged();
  });

  test("an expired service-account token → 4, never printed; the same token unexpired is accepted", async () => {
    const expired = await admin.serviceAccountJwt("opsctl-deployer", -60);
    const { dir, env } = setup("token", "", { token: expired });
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--verbose"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("rejected the credentials");
    expect(r.stdout + r.stderr).not.toContain(expired.split(".")[2] as string);
    // Control: signed the same way but valid for another hour, the server takes it.
    const valid = await admin.serviceAccountJwt("opsctl-deployer", 3600);
    const good = setup("token", "", { token: valid });
    const ok = await runBin(["deploy-plan", "--environment", "staging", "--service", "billing", "--image", NEW], { cwd: good.dir, env: good.env });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(10);
    await expectUnchanged();
  });

  test("a server certificate from a CA the kubeconfig does not trust → 4 naming the server", async () => {
    const { dir, env, kubeconfig } = setup("token");
    const made = Bun.spawnSync(
      ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=some other CA"].concat([
        "-keyout",
        join(dir, "other-ca.key"),
        "-out",
        join(dir, "other-ca.pem"),
      ]),
      { stderr: "pipe" },
    );
    expect(made.exitCode).toBe(0);
    writeFileSync(kubeconfig, readFileSync(kubeconfig, "utf8").replace(/certificate-authority: .*/, `certificate-authority: ${join(dir, "other-ca.pem")}`));
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`cannot reach the Kubernetes API at ${kube.url}`);
    await expectUnchanged();
  });
});

describe("deploy: bad input and unusable targets change nothing", () => {
  const cases: [string, string[], string, string, number][] = [
    ["unparseable image", ["--image", "Registry.Example/Billing::1"], "", "--image: 'Registry.Example/Billing::1' is not an image reference", 2],
    ["--wait with --no-wait", ["--image", NEW, "--wait", "1m", "--no-wait"], "", "--wait and --no-wait contradict each other", 2],
    ["bad --wait", ["--image", NEW, "--wait", "soon"], "", "--wait: must be a number with a unit", 2],
    ["missing --image", [], "", "--image is required", 2],
    ["unknown context", ["--image", NEW, "--context", "nope"], "", "has no context 'nope'; contexts: opsctl-mtls, elsewhere", 2],
    ["bad kind in config", ["--image", NEW], "environments:\n  staging:\n    deploy:\n      kind: nomad\n", "deploy.kind: must be one of kubernetes, ecs", 2],
    [
      "no Deployments match",
      ["--image", NEW, "--namespace", "elsewhere"],
      "",
      "discovery: no Deployments match app=billing in namespace elsewhere, context opsctl-mtls",
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
      await expectUnchanged();
    });
  }

  test("a kubeconfig that does not exist → 2 naming it", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW, "--kubeconfig", "missing.yaml"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("kubeconfig missing.yaml does not exist (deploy.kubeconfig)");
  });

  test("nothing listening at the server's address → 4 naming it", async () => {
    const { dir, env, kubeconfig } = setup("mtls");
    writeFileSync(kubeconfig, readFileSync(kubeconfig, "utf8").replace(kube.url, "https://127.0.0.1:9"));
    const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("cannot reach the Kubernetes API at https://127.0.0.1:9");
    await expectUnchanged();
  });

  // Faults injected by the proxy in front of the real server; every one must leave the
  // cluster as it was. The third field is aws.requestTimeout (it bounds Kubernetes calls too).
  const faults: [string, Parameters<FaultProxy["rules"]["push"]>[0], string, string][] = [
    ["the connection refused on the first call", { operation: "*", fault: { kind: "refuse" } }, "", "cannot reach the Kubernetes API at http://127.0.0.1:"],
    ["the connection reset on the list", { operation: "*", fault: { kind: "reset" } }, "", "cannot reach the Kubernetes API at http://127.0.0.1:"],
    [
      "a 503 on the list",
      { operation: "*", fault: { kind: "error", status: 503, code: "ServiceUnavailable", message: "etcd is unhappy" } },
      "",
      "answered 503 ServiceUnavailable: etcd is unhappy",
    ],
    [
      "a 500 on the dry-run PATCH",
      { operation: "*", dryRun: true, fault: { kind: "error", status: 500, code: "InternalError", message: "admission webhook timed out" } },
      "",
      "answered 500 InternalError: admission webhook timed out",
    ],
    [
      "an answer slower than aws.requestTimeout",
      { operation: "*", fault: { kind: "delay", ms: 3000 } },
      "1s",
      "cannot reach the Kubernetes API at http://127.0.0.1:",
    ],
  ];
  for (const [name, rule, timeout, message] of faults) {
    test(`${name} → 4, nothing changed`, async () => {
      const { dir, env, proxy } = await proxied();
      proxy.rules = [rule];
      if (timeout) env.OPSCTL_AWS__REQUEST_TIMEOUT = timeout;
      try {
        const r = await runBin(["deploy", "--environment", "staging", "--service", "billing", "--image", NEW], { cwd: dir, env });
        expect(r.stderr).toContain(message);
        expect(r.code).toBe(4);
        await proxy.drained();
        await expectUnchanged();
      } finally {
        proxy.stop();
      }
    });
  }

  test("the client key and the tokens never appear in any output, plan file or audit record", async () => {
    const canaries = [kube.clientKey.split("\n")[1] as string, kube.deployerToken];
    const runs: { stdout: string; stderr: string }[] = [];
    for (const auth of ["mtls", "token"] as const) {
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
          await runBin([cmd, "--environment", "staging", "--service", "billing", "--image", `registry.example/billing:1.5${runs.length}`, ...rest], {
            cwd: dir,
            env,
          }),
        );
      }
      runs.push({ stdout: readFileSync(join(dir, "p.json"), "utf8"), stderr: allFiles(join(dir, "home", ".state")) });
    }
    for (const r of runs)
      for (const c of canaries) {
        expect(r.stdout).not.toContain(c);
        expect(r.stderr).not.toContain(c);
        // Not even scrubbed: opsctl never tries to print them.
        expect(r.stdout + r.stderr).not.toContain("[redacted]");
      }
  }, 120_000);
});

function allFiles(dir: string): string {
  if (!existsSync(dir)) return "";
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
}
