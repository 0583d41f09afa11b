import { beforeEach, describe, expect, test } from "bun:test";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { MotoEcs } from "../support/ecs.ts";
import { Moto } from "../support/moto.ts";

// The compiled binary deploying an ECS service in the real moto server.

const moto = new Moto();
const ecs = new MotoEcs(moto.url);
const OLD = "registry.example/billing:1.41";
const NEW = "registry.example/billing:1.42";
let firstArn: string;

beforeEach(async () => {
  await moto.reset();
  firstArn = await ecs.seed({ cluster: "prod-cluster", service: "billing", image: OLD });
});

function setup(extra = "") {
  return workspace(moto.url, `deploy:\n  kind: ecs\n  cluster: prod-cluster\n  pollInterval: 1s\n${extra}`);
}

describe("deploy on ECS against moto", () => {
  test("deploy-plan exits 10 with the image diff and registers nothing", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy-plan", "--service", "billing", "--environment", "prod", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.stdout).toContain(`app: ${OLD} → ${NEW}; new revision of billing (from 1), 2 task(s)`);
    expect(r.stdout).toContain("registertaskdefinition+deploy");
    expect(r.stderr).toBe("");
    expect(await ecs.revisions("billing")).toEqual([firstArn]);
    expect((await ecs.service("prod-cluster", "billing"))?.taskDefinition).toBe(firstArn);
  });

  test("deploy registers a revision with only the image changed, points the service at it, waits for steady state; a re-run does nothing", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--service", "billing", "--environment", "staging", "--image", NEW, "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    const revisions = await ecs.revisions("billing");
    expect(revisions).toHaveLength(2);
    const next = revisions.find((a) => a !== firstArn) as string;
    expect(r.json.result.actions[0]).toMatchObject({ status: "applied", outputs: { taskDefinition: next } });
    expect(r.json.result.actions[0].detail).toContain("billing:2 reached steady state: 2/2 running, 1 deployment(s)");
    expect((await ecs.service("prod-cluster", "billing"))?.taskDefinition).toBe(next);
    const before = await ecs.taskDefinition(firstArn);
    const after = await ecs.taskDefinition(next);
    expect(after?.containerDefinitions?.map((c) => c.image)).toEqual([NEW, "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32"]);
    const strip = (c: object) => ({ ...c, image: "" });
    expect(after?.containerDefinitions?.map(strip)).toEqual(before?.containerDefinitions?.map(strip));
    expect(after?.taskRoleArn).toBe(before?.taskRoleArn);

    const again = await runBin(["deploy", "--service", "billing", "--environment", "staging", "--image", NEW], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already runs ${NEW} (billing:2)`);
    expect(await ecs.revisions("billing")).toHaveLength(2);
  });

  test("a deployment that does not reach steady state within --wait → 4", async () => {
    await moto.reset();
    await ecs.seed({ cluster: "prod-cluster", service: "billing", image: OLD, running: false });
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--service", "billing", "--environment", "staging", "--image", NEW, "--wait", "2s"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("billing: updated to billing:2, but the deployment did not reach steady state within 2s: 0/2 running");
  });

  test("a service that does not exist → 3; a cluster without deploy.cluster → 2; nothing registered", async () => {
    const { dir, env } = setup();
    const r = await runBin(["deploy", "--service", "payroll", "--environment", "staging", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("service: ECS service payroll not found in cluster prod-cluster");
    const bare = workspace(moto.url, "deploy:\n  kind: ecs\n");
    const u = await runBin(["deploy", "--service", "billing", "--environment", "staging", "--image", NEW], { cwd: bare.dir, env: bare.env });
    expect(u.code).toBe(2);
    expect(u.stderr).toContain("deploy.kind is ecs but deploy.cluster is not set for environment 'staging'");
    expect(await ecs.revisions("billing")).toEqual([firstArn]);
  });

  test("an unreachable endpoint → 4 naming it", async () => {
    const { dir, env } = workspace("http://127.0.0.1:9", "deploy:\n  kind: ecs\n  cluster: prod-cluster\n");
    const r = await runBin(["deploy-plan", "--service", "billing", "--environment", "staging", "--image", NEW], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("cannot reach ECS at http://127.0.0.1:9");
  });
});
