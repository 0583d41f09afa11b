import { describe, test } from "bun:test";
import type { AppsPort, Deployment } from "../../src/providers/kubernetes/apps.ts";
import { KubeError } from "../../src/providers/kubernetes/apps.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// deploy's views with a frozen clock and an in-memory AppsPort (the FAKE API server
// covers the wire end to end in test/e2e/deploy.test.ts).

const KUBECONFIG = `apiVersion: v1
current-context: staging
clusters:
- name: c
  cluster:
    server: https://kube.example:6443
contexts:
- name: staging
  context: { cluster: c, user: u, namespace: payments }
users:
- name: u
  user: { token: golden-token-value }
`;
const CONFIG = "region: us-east-1\nprotectedEnvironments: [prod]\ndeploy:\n  kind: kubernetes\n  kubeconfig: kubeconfig.yaml\n  pollInterval: 1s\n";

function deployment(name: string, replicas: number, image: string, extra: { name: string; image: string }[] = []): Deployment {
  return {
    name,
    namespace: "payments",
    resourceVersion: "100",
    generation: 4,
    labels: { app: "billing" },
    replicas,
    strategy: "RollingUpdate maxSurge=25% maxUnavailable=25%",
    containers: [{ name: name.replace("billing-", ""), image }, ...extra],
    status: { observedGeneration: 4, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: [] },
  };
}

function memoryApps(o: { reject?: string; stall?: boolean } = {}): AppsPort {
  const items = [
    deployment("billing-api", 3, "registry.example/billing:1.41", [{ name: "envoy", image: "registry.example/envoy:1.30" }]),
    deployment("billing-worker", 2, "registry.example/billing:1.42"),
  ];
  const find = (name: string) => items.find((d) => d.name === name) as Deployment;
  return {
    server: "https://kube.example:6443",
    listDeployments: async () => items,
    getDeployment: async (_ns, name) => find(name),
    async patchDeployment(_ns, name, patch, { dryRun }) {
      const image = (patch as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0]?.image;
      if (image === o.reject) throw new KubeError(`admission webhook "image-policy.example" denied the request: ${image} is not signed`, "Invalid", 422);
      const d = find(name);
      if (dryRun) return d;
      d.generation++;
      d.status.observedGeneration = d.generation;
      if (o.stall) {
        d.status.updatedReplicas = 1;
        d.status.conditions = [
          { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: `ReplicaSet "${name}-7d9f" has timed out progressing.` },
        ];
      }
      return d;
    },
  };
}

async function run(name: string, argv: string[], apps = memoryApps()) {
  const repo = tempRepo({ "opsctl.config.yaml": CONFIG, "kubeconfig.yaml": KUBECONFIG }, name);
  const env = { HOME: "/home/operator", XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state` };
  const r = await runInProcess(argv, { cwd: repo, env, providers: { kubeApps: async () => apps } });
  // Wall-clock durations are the one thing a frozen clock does not freeze.
  const norm = (t: string) => normalise(t, { "<repo>": repo }).replace(/"durationMs": \d+/g, '"durationMs": 0');
  expectGolden(`${name}.stdout`, norm(r.stdout));
  expectGolden(`${name}.stderr`, norm(r.stderr));
  expectGolden(`${name}.exit`, `${r.code}\n`);
}

const base = ["--service", "billing", "--environment", "staging", "--image", "registry.example/billing:1.42"];

describe("golden views: deploy", () => {
  for (const format of ["text", "json"]) {
    test(`deploy-plan (${format})`, () => run(`deploy-plan.${format}`, ["deploy-plan", ...base, "--format", format]));
    test(`deploy result (${format})`, () => run(`deploy-result.${format}`, ["deploy", ...base, "--format", format]));
    test(`deploy rejected in dry run (${format})`, () =>
      run(
        `deploy-rejected.${format}`,
        ["deploy", ...base.slice(0, -1), "registry.example/billing:unsigned", "--format", format],
        memoryApps({ reject: "registry.example/billing:unsigned" }),
      ));
    test(`deploy stalled (${format})`, () => run(`deploy-stalled.${format}`, ["deploy", ...base, "--format", format], memoryApps({ stall: true })));
    test(`deploy-plan show-config (${format})`, () =>
      run(`deploy-show-config.${format}`, ["deploy-plan", ...base, "--context", "staging", "--show-config", "--format", format]));
  }
  test("help deploy", () => run("help-deploy", ["deploy", "--help"]));
  test("help deploy-plan", () => run("help-deploy-plan", ["deploy-plan", "--help"]));
});
