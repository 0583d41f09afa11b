import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { IncidentKube } from "../support/incident-kube.ts";

// collect-incident's Kubernetes collector through the compiled binary, against the real
// control plane (kube-apiserver, kube-controller-manager, kwok). Container logs are
// served by kwok's kubelet endpoint (the API server proxies pods/log to it on loopback)
// from files the test writes, in the CRI log format a real kubelet reads.

const kube = new IncidentKube();
const SECRET_VALUE = "k8s-secret-canary-4471"; // in a Secret the pods reference, printed by the app
const ENV_VALUE = "env-literal-canary-9c2e"; // a literal DB_PASSWORD env value
const CM_PW = "cm-dsn-canary-31ab"; // the password of a DSN in a ConfigMap
const now = new Date();
const ago = (m: number) => new Date(now.getTime() - m * 60_000);
let ns: string;
let pods: string[];

beforeAll(async () => {
  ns = await kube.namespace();
  await kube.seed(ns, { secretValue: SECRET_VALUE, envValue: ENV_VALUE, configMapDsnPassword: CM_PW });
  pods = (await kube.pods(ns, "app=checkout")).map((p) => p.name).sort();
  await kube.restarted(ns, pods[0] as string);
  const other = (await kube.pods(ns, "app=other"))[0]?.name as string;
  await kube.event(ns, {
    name: "ev-inside",
    kind: "Pod",
    object: pods[0] as string,
    at: ago(20),
    reason: "BackOff",
    message: "Back-off restarting failed container app",
  });
  await kube.event(ns, { name: "ev-before", kind: "Pod", object: pods[0] as string, at: ago(240), reason: "Pulled", message: "image pulled long ago" });
  await kube.event(ns, { name: "ev-other", kind: "Pod", object: other, at: ago(10), reason: "Killing", message: "another service's pod" });
  kube.writeLogs(
    [
      { at: ago(240), line: "starting (before the window)" },
      { at: ago(30), line: `connected to db with password ${SECRET_VALUE}` },
      { at: ago(25), line: `config dump: DB_PASSWORD=${ENV_VALUE} LOG_LEVEL=info` },
      { at: ago(15), line: "GET /checkout 500 upstream timeout" },
      { at: ago(1), line: "after --until (dropped)" },
    ],
    [{ at: ago(40), line: "panic: nil map (previous container)" }],
  );
}, 120_000);
afterAll(async () => {
  if (ns) await kube.deleteNamespace(ns);
});

function setup(kubeconfig = kube.env.adminKubeconfig) {
  const ws = workspace("http://127.0.0.1:9");
  writeFileSync(
    join(ws.dir, "opsctl.config.yaml"),
    `collectIncident:\n  include: [kubernetes]\n  kubernetes: { kubeconfig: ${kubeconfig}, namespace: ${ns} }\n`,
  );
  return ws;
}

const ARGS = () => ["collect-incident", "--environment", "staging", "--service", "checkout", "--since", "1h", "--until", ago(5).toISOString()];

describe("collect-incident: Kubernetes (real control plane, kwok-served logs)", () => {
  test("dry run: the reads (objects, events, every container's logs incl. the previous instance) and passed access reviews; exit 10", async () => {
    const { dir, env } = setup();
    const r = await runBin([...ARGS(), "--dry-run", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    const action = r.json.plan.actions[0];
    expect(action.id).toBe("collect:kubernetes");
    const reads = action.call.parameters.reads.map((x: { id: string }) => x.id);
    for (const p of pods) expect(reads).toContain(`kubernetes:log:${p}/app`);
    expect(reads).toContain(`kubernetes:log:${pods[0]}/app:previous`);
    expect(reads).not.toContain(`kubernetes:log:${pods[1]}/app:previous`);
    expect(reads).toContain("kubernetes:configmap:app-config");
    const checks = action.checks.map((c: { name: string; status: string }) => `${c.status} ${c.name}`);
    expect(checks).toContain(`passed SelfSubjectAccessReview get pods/log in ${ns}`);
    expect(checks).toContain(`passed SelfSubjectAccessReview list apps/replicasets in ${ns}`);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tar.gz"))).toEqual([]);
  });

  test("a bundle: the service's objects, events and logs in the window, previous logs, no secret value, consistent pseudonyms", async () => {
    const { dir, env } = setup();
    const r = await runBin([...ARGS(), "--bundle", "k8s.tar.gz", "--format", "json"], { cwd: dir, env });
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const x = join(dir, "x");
    mkdirSync(x);
    execFileSync("tar", ["-xzf", join(dir, "k8s.tar.gz"), "-C", x]);
    const manifest = JSON.parse(readFileSync(join(x, "manifest.json"), "utf8"));
    expect(manifest.collectedBy.kubernetes).toBe("opsctl-admin");
    for (const f of manifest.files)
      expect(
        createHash("sha256")
          .update(readFileSync(join(x, f.path)))
          .digest("hex"),
      ).toBe(f.sha256);
    const read = (p: string) => readFileSync(join(x, p), "utf8");
    const names = (p: string) =>
      read(p)
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).metadata.name);
    expect(names("kubernetes/deployments.jsonl")).toEqual(["checkout"]);
    expect(names("kubernetes/replicasets.jsonl")).toHaveLength(1);
    expect(names("kubernetes/pods.jsonl").sort()).toEqual(pods);
    expect(JSON.parse(read("kubernetes/pods.jsonl").split("\n")[0] as string).status.phase).toBe("Running");
    expect(names("kubernetes/events.jsonl")).toEqual(["ev-inside"]);
    const log = read(`kubernetes/logs/${pods[1]}/app.log`);
    expect(log).toContain("GET /checkout 500 upstream timeout");
    expect(log).not.toContain("before the window");
    expect(log).not.toContain("after --until");
    expect(read(`kubernetes/logs/${pods[0]}/app.previous.log`)).toContain("panic: nil map (previous container)");
    // Canaries: a referenced Secret's value printed in a log, a literal secret env, a DSN in a ConfigMap.
    const all = manifest.files.map((f: { path: string }) => read(f.path)).join("\n");
    for (const c of [SECRET_VALUE, ENV_VALUE, CM_PW]) expect(`${all}${r.stdout}${r.stderr}`).not.toContain(c);
    expect(all).not.toContain('"kind":"Secret"');
    const envPseudonym = /"name":"DB_PASSWORD","value":"(\[redacted:[0-9a-f]{12}\])"/.exec(read("kubernetes/pods.jsonl"))?.[1];
    expect(envPseudonym).toBeDefined();
    expect(log).toContain(`DB_PASSWORD=${envPseudonym}`);
    expect(log).toMatch(/connected to db with password \[redacted:[0-9a-f]{12}\]/);
    expect(read("kubernetes/configmaps/app-config.json")).toMatch(/postgres:\/\/app:\[redacted:[0-9a-f]{12}\]@db\.internal/);
    const logRecord = manifest.files.find((f: { path: string }) => f.path === `kubernetes/logs/${pods[1]}/app.log`);
    expect(logRecord.redactions).toMatchObject({ "k8s-secret-value": 1 });
    expect(logRecord.source).toContain("sinceTime=");
  });

  test("an identity without the needed permissions: the access reviews fail, exit 3 before anything is read, no bundle", async () => {
    const { dir, env } = setup(kube.env.viewerKubeconfig);
    const r = await runBin([...ARGS(), "--bundle", "denied.tar.gz"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`SelfSubjectAccessReview get pods/log in ${ns}: denied`);
    expect(readdirSync(dir).filter((f) => f.includes(".tar.gz"))).toEqual([]);
  });
});
