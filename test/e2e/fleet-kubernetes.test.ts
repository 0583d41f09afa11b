import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { KubeAdmin, kubePeers } from "../support/kube.ts";

// deploy-plan across kubeconfig contexts of the real control plane (kube-apiserver +
// kube-controller-manager + kwok): one scope per context, each context with its own
// namespace and inventory; a third context points at nothing.

const kube = kubePeers();
const admin = new KubeAdmin(kube);
const NEW = "registry.example/billing:1.42";
let east = "";
let west = "";

beforeAll(async () => {
  east = await admin.namespace();
  west = await admin.namespace();
  await admin.seed(east);
  await admin.seed(west);
  // west already runs the new image: nothing to change there.
  await admin.setImage(west, "billing-api", "api", NEW);
  await admin.setImage(west, "billing-worker", "worker", NEW);
});
afterAll(() => admin.cleanup());

/** The admin (mTLS) kubeconfig with contexts east, west (namespaces of their own) and down (no server there). */
function kubeconfig(dir: string): string {
  const text = readFileSync(kube.kubeconfigs.mtls, "utf8").replace(
    /^contexts:\n- name: (\S+)\n {2}context:\n {4}cluster: (\S+)\n {4}user: (\S+)\n/m,
    (_m, _ctx, cluster, user) =>
      [
        "contexts:",
        ...["east", "west"].map((n) => `- name: ${n}\n  context:\n    cluster: ${cluster}\n    user: ${user}\n    namespace: ${n === "east" ? east : west}`),
        `- name: down\n  context:\n    cluster: nowhere\n    user: ${user}\n    namespace: default`,
        "",
      ].join("\n"),
  );
  const withDown = text.replace(
    /^clusters:\n/m,
    "clusters:\n- name: nowhere\n  cluster:\n    server: https://127.0.0.1:9\n    insecure-skip-tls-verify: true\n",
  );
  const path = join(dir, "kubeconfig");
  writeFileSync(path, withDown, { mode: 0o600 });
  return path;
}

function setup(contexts: string[]) {
  const targets = `targets:\n  - name: clusters\n    kind: kubernetes\n    contexts: [${contexts.join(", ")}]\n    tags: { platform: k8s }\n`;
  const ws = workspace("http://127.0.0.1:9", "deploy:\n  kind: kubernetes\n  pollInterval: 1s\n", { "targets.yaml": targets });
  ws.env.KUBECONFIG = kubeconfig(ws.dir);
  return ws;
}

const plan = ["deploy-plan", "--environment", "prod", "--service", "billing", "--image", NEW, "--targets", "targets.yaml"];

describe("deploy-plan across Kubernetes contexts (real kube-apiserver)", () => {
  test("one scope per context, each planned against its own namespace with dryRun=All; exit 10", async () => {
    const { dir, env } = setup(["east", "west"]);
    const r = await runBin([...plan, "--format", "json"], { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(10);
    const byName = Object.fromEntries(r.json.fleet.scopes.map((s: { name: string }) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(["clusters/east", "clusters/west"]);
    expect(byName["clusters/east"].status).toBe("planned");
    expect(byName["clusters/east"].identity).toEqual({ context: "east" });
    expect(byName["clusters/east"].plan.actions.map((a: { id: string }) => a.id).sort()).toEqual([
      `deploy:${east}/billing-api`,
      `deploy:${east}/billing-worker`,
    ]);
    expect(byName["clusters/west"].status).toBe("no-op");
    // Nothing persisted in either namespace: only the seed's and the test's own writers.
    expect((await admin.images(east))["billing-api"]?.api).toBe("registry.example/billing:1.41");
    expect(await admin.writes(east, "billing-api")).toEqual({ generation: 1, managers: ["opsctl-test"] });
  });

  test("an unreachable context fails that scope only: exit 5, the others still planned, the failure named", async () => {
    const { dir, env } = setup(["east", "west", "down"]);
    const r = await runBin(plan, { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/clusters\/down\s+down\s+\S+\s+write\s+failed/);
    expect(r.stdout).toMatch(/clusters\/east\s+east\s+\S+\s+write\s+planned\s+2/);
    expect(r.stdout).toContain("Dry run INCOMPLETE: 1 of 3 scope(s) not planned");
    expect(r.stderr).toContain("scope clusters/down:");
  });

  test("every scope failed with a usage error (contexts the kubeconfig does not have): exit 2, naming each", async () => {
    const { dir, env } = setup(["norht", "sooth"]);
    const r = await runBin(plan, { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("scope clusters/norht:");
    expect(r.stderr).toContain("has no context 'norht'");
    expect(r.stderr).toContain("scope clusters/sooth:");
  });

  test("an AWS-only command refuses a Kubernetes target before contacting anything (exit 2)", async () => {
    const { dir, env } = setup(["east"]);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--targets", "targets.yaml", "--dry-run"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("target clusters is a Kubernetes target, but cleanup-volumes does not act on kubeconfig contexts");
  });
});
