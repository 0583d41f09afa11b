import { afterAll, describe, test } from "bun:test";
import { builtinProviders } from "../../src/providers/index.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { KubeAdmin, kubePeers, type Seed } from "../support/kube.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// deploy's views with a frozen clock, against the real kube-apiserver (peers.sh start
// kube). What a real server makes different on every run is mapped back to fixed text:
// the test's namespace (same length as "payments", so tables keep their widths), the
// server's URL (its port depends on OPSCTL_PEERS_PORT_OFFSET), the plan digest (it
// covers both) and wall-clock durations. Rollout progress lines are dropped: which
// intermediate states a poll sees depends on timing (e2e tests cover them).

const kube = kubePeers();
const admin = new KubeAdmin(kube);
afterAll(() => admin.cleanup());

const SEEDS: Seed[] = [
  {
    name: "billing-api",
    labels: { app: "billing" },
    replicas: 3,
    containers: [
      { name: "api", image: "registry.example/billing:1.41" },
      { name: "envoy", image: "registry.example/envoy:1.30" },
    ],
  },
  { name: "billing-worker", labels: { app: "billing" }, replicas: 2, containers: [{ name: "worker", image: "registry.example/billing:1.42" }] },
];

const kubeconfig = (ns: string) => `apiVersion: v1
current-context: staging
clusters:
- name: c
  cluster:
    server: ${kube.url}
    certificate-authority: ${kube.caFile}
contexts:
- name: staging
  context: { cluster: c, user: u, namespace: ${ns} }
users:
- name: u
  user: { token: ${kube.deployerToken} }
`;
const CONFIG = "region: us-east-1\nprotectedEnvironments: [prod]\ndeploy:\n  kind: kubernetes\n  kubeconfig: kubeconfig.yaml\n  pollInterval: 1s\n";

async function run(name: string, argv: string[], o: { progressDeadlineSeconds?: number; denyImages?: string; noCluster?: boolean } = {}) {
  // --help contacts nothing: no namespace needed.
  const ns = o.noCluster ? "t-nohelp" : await admin.namespace();
  if (!o.noCluster) await admin.seed(ns, SEEDS, o);
  const undo = o.denyImages ? await admin.denyImages(ns, o.denyImages) : undefined;
  try {
    const repo = tempRepo({ "opsctl.config.yaml": CONFIG, "kubeconfig.yaml": kubeconfig(ns) }, name);
    const env = { HOME: "/home/operator", XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state` };
    const r = await runInProcess(argv, { cwd: repo, env, providers: { kubeApps: builtinProviders.kubeApps } });
    const norm = (t: string) =>
      normalise(t, { "<repo>": repo, "<kube-api>": kube.url, payments: ns })
        .replace(/"durationMs": \d+/g, '"durationMs": 0')
        // The plan's digest only: show-config's config digest does not depend on the server.
        .replace(/(plan |"digest": ")sha256:[0-9a-f]+/g, (m, pre) => (argv.includes("--show-config") ? m : `${pre}sha256:<digest>`))
        .replace(/^\[info\] payments\/[a-z-]+: .*\n/gm, "");
    expectGolden(`${name}.stdout`, norm(r.stdout));
    expectGolden(`${name}.stderr`, norm(r.stderr));
    expectGolden(`${name}.exit`, `${r.code}\n`);
  } finally {
    await undo?.();
  }
}

const base = ["--service", "billing", "--environment", "staging", "--image", "registry.example/billing:1.42"];
const withImage = (image: string) => [...base.slice(0, -1), image];

describe("golden views: deploy (real kube-apiserver)", () => {
  for (const format of ["text", "json"]) {
    test(`deploy-plan (${format})`, () => run(`deploy-plan.${format}`, ["deploy-plan", ...base, "--format", format]));
    test(`deploy result (${format})`, () => run(`deploy-result.${format}`, ["deploy", ...base, "--format", format]));
    test(`deploy rejected by a ValidatingAdmissionPolicy in the dry run (${format})`, () =>
      run(`deploy-rejected.${format}`, ["deploy", ...withImage("registry.example/billing:1.42-unsigned"), "--format", format], {
        denyImages: "-unsigned",
      }));
    test(
      `deploy stalled (${format})`,
      () =>
        // One action at a time: the two stall together, and stderr reports them in the order they finish.
        run(`deploy-stalled.${format}`, ["deploy", ...withImage("registry.example/billing:1.42-unready"), "--concurrency", "1", "--format", format], {
          progressDeadlineSeconds: 4,
        }),
      90_000,
    );
    test(`deploy-plan show-config (${format})`, () =>
      run(`deploy-show-config.${format}`, ["deploy-plan", ...base, "--context", "staging", "--show-config", "--format", format]));
  }
  test("help deploy", () => run("help-deploy", ["deploy", "--help"], { noCluster: true }));
  test("help deploy-plan", () => run("help-deploy-plan", ["deploy-plan", "--help"], { noCluster: true }));
});
