import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseImage, selectContainers } from "../../src/commands/deploy/images.ts";
import { deploymentProgress, ecsProgress, waitFor } from "../../src/commands/deploy/rollout.ts";
import type { Deployment } from "../../src/providers/kubernetes/apps.ts";
import { loadKubeTarget } from "../../src/providers/kubernetes/kubeconfig.ts";
import { tempRepo } from "../support/tmp.ts";

describe("image references", () => {
  const ok: [string, ReturnType<typeof parseImage>][] = [
    ["registry.example/billing:1.42", { repository: "registry.example/billing", tag: "1.42" }],
    ["billing", { repository: "billing" }],
    ["localhost:5000/team/billing:v1", { repository: "localhost:5000/team/billing", tag: "v1" }],
    [`billing@sha256:${"a".repeat(64)}`, { repository: "billing", digest: `sha256:${"a".repeat(64)}` }],
    ["team/billing:1", { repository: "team/billing", tag: "1" }],
  ];
  for (const [ref, want] of ok) test(`parses ${ref}`, () => expect(parseImage(ref)).toEqual(want));
  for (const bad of ["", "Billing:1", "billing::1", "billing:", "bill ing", "billing@sha256:xyz", "reg.example/UPPER/x", "-billing"]) {
    test(`refuses '${bad}'`, () => expect(parseImage(bad)).toBeUndefined());
  }
});

describe("container selection", () => {
  const pod = [
    { name: "api", image: "registry.example/billing:1.41" },
    { name: "envoy", image: "registry.example/envoy:1.30" },
  ];
  test("the container whose repository matches", () =>
    expect(selectContainers(pod, "registry.example/billing:1.42")).toEqual({
      ok: true,
      changes: [{ container: "api", from: "registry.example/billing:1.41", to: "registry.example/billing:1.42" }],
      unchanged: [],
    }));
  test("already on the image: no change", () =>
    expect(selectContainers(pod, "registry.example/billing:1.41")).toEqual({ ok: true, changes: [], unchanged: ["api"] }));
  test("the only container even with another repository", () =>
    expect(selectContainers([pod[0] as { name: string; image: string }], "mirror.example/billing:2")).toMatchObject({
      ok: true,
      changes: [{ container: "api" }],
    }));
  test("ambiguous: refused", () => expect(selectContainers(pod, "other.example/x:1")).toMatchObject({ ok: false }));
  test("named container wins; unknown name refused", () => {
    expect(selectContainers(pod, "other.example/x:1", "envoy")).toMatchObject({ ok: true, changes: [{ container: "envoy" }] });
    expect(selectContainers(pod, "other.example/x:1", "nope")).toEqual({ ok: false, reason: "no container 'nope' (deploy.container); containers: api, envoy" });
  });
});

function dep(status: Partial<Deployment["status"]>, replicas = 3): Deployment {
  return {
    name: "d",
    namespace: "n",
    resourceVersion: "1",
    generation: 2,
    labels: {},
    replicas,
    strategy: "RollingUpdate",
    containers: [],
    status: { observedGeneration: 2, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: [], ...status },
  };
}

describe("rollout progress", () => {
  test("kubectl's order of checks", () => {
    expect(deploymentProgress(dep({ observedGeneration: 1 }), 2).state).toBe("waiting");
    expect(deploymentProgress(dep({ updatedReplicas: 1 }), 2)).toEqual({ state: "waiting", text: "1/3 updated, 3 ready, 3 available" });
    expect(deploymentProgress(dep({ replicas: 4 }), 2).text).toStartWith("1 old replica(s) pending termination");
    expect(deploymentProgress(dep({ availableReplicas: 2 }), 2).state).toBe("waiting");
    expect(deploymentProgress(dep({}), 2).state).toBe("done");
    const stalled = dep({
      updatedReplicas: 1,
      conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" }],
    });
    expect(deploymentProgress(stalled, 2)).toEqual({ state: "stalled", text: "ProgressDeadlineExceeded: timed out (1/3 updated, 3 ready, 3 available)" });
  });

  test("ECS steady state as the services-stable waiter judges it", () => {
    const svc = {
      arn: "a",
      name: "s",
      clusterArn: "c",
      status: "ACTIVE",
      desiredCount: 2,
      runningCount: 2,
      taskDefinition: "td:2",
      deployments: [{ status: "PRIMARY", runningCount: 2, desiredCount: 2 }],
    };
    expect(ecsProgress(svc, "td:2").state).toBe("done");
    expect(ecsProgress({ ...svc, runningCount: 1 }, "td:2").state).toBe("waiting");
    expect(ecsProgress(svc, "td:3").state).toBe("waiting");
    expect(ecsProgress({ ...svc, deployments: [...svc.deployments, { status: "ACTIVE", runningCount: 0, desiredCount: 2 }] }, "td:2").state).toBe("waiting");
    expect(
      ecsProgress(
        { ...svc, deployments: [{ status: "PRIMARY", rolloutState: "FAILED", rolloutStateReason: "tasks failed to start", runningCount: 0, desiredCount: 2 }] },
        "td:2",
      ).state,
    ).toBe("stalled");
  });

  test("waitFor stops at the deadline and on abort", async () => {
    const waiting = async () => ({ state: "waiting" as const, text: "1/3" });
    const t = await waitFor(waiting, { timeoutMs: 50, intervalMs: 20, signal: new AbortController().signal });
    expect(t.timedOut).toBe(true);
    const ac = new AbortController();
    ac.abort();
    expect((await waitFor(waiting, { timeoutMs: 10_000, intervalMs: 5000, signal: ac.signal })).interrupted).toBe(true);
  });
});

describe("kubeconfig", async () => {
  const cfg = (server: string, user: string) =>
    `apiVersion: v1\ncurrent-context: a\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n    certificate-authority: ca.pem\ncontexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n    namespace: team\nusers:\n- name: u\n  user:\n${user}`;

  test("relative certificate paths resolve from the kubeconfig's folder; the context's namespace is kept", async () => {
    const dir = tempRepo({ "kube/config": cfg("https://k.example:6443", "    tokenFile: token.txt\n"), "kube/ca.pem": "CA", "kube/token.txt": "tok-123\n" });
    const t = await loadKubeTarget({ env: { KUBECONFIG: join(dir, "kube/config") }, cwd: dir });
    expect(t).toMatchObject({ server: "https://k.example:6443", context: "a", namespace: "team", token: "tok-123", tls: { ca: "CA", insecure: false } });
  });

  test("KUBECONFIG lists files; the first definition of a name wins; missing files are skipped", async () => {
    const dir = tempRepo({ one: cfg("https://one.example", "    token: t1\n"), two: cfg("https://two.example", "    token: t2\n"), "ca.pem": "CA" });
    const t = await loadKubeTarget({ env: { KUBECONFIG: `${join(dir, "nope")}:${join(dir, "one")}:${join(dir, "two")}` }, cwd: dir });
    expect(t.server).toBe("https://one.example");
    expect(t.token).toBe("t1");
  });

  test("exec plugins and unknown contexts are usage errors naming the file", async () => {
    const dir = tempRepo({ config: cfg("https://k.example", "    exec:\n      command: aws\n"), "ca.pem": "CA" });
    await expect(loadKubeTarget({ path: "config", env: {}, cwd: dir })).rejects.toThrow("uses an exec or auth-provider plugin");
    await expect(loadKubeTarget({ path: "config", context: "b", env: {}, cwd: dir })).rejects.toThrow("has no context 'b'; contexts: a");
  });

  test("without any kubeconfig: the in-cluster service account", async () => {
    const dir = tempRepo();
    const sa = join(dir, "sa");
    mkdirSync(sa);
    writeFileSync(join(sa, "token"), "sa-token\n");
    writeFileSync(join(sa, "ca.crt"), "SA-CA");
    writeFileSync(join(sa, "namespace"), "billing\n");
    const t = await loadKubeTarget({
      env: { HOME: dir, KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" },
      cwd: dir,
      serviceAccountDir: sa,
    });
    expect(t).toEqual({
      server: "https://10.0.0.1:443",
      source: "in-cluster service account",
      context: "in-cluster",
      namespace: "billing",
      tls: { ca: "SA-CA", insecure: false },
      token: "sa-token",
    });
    await expect(loadKubeTarget({ env: { HOME: dir }, cwd: dir })).rejects.toThrow("no kubeconfig");
  });
});
