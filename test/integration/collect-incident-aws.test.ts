import { beforeEach, describe, expect, test } from "bun:test";
import { activitiesInWindow, createAwsCollector } from "../../src/commands/collect-incident/collectors/aws.ts";
import { createAwsEvidence } from "../../src/providers/aws/evidence.ts";
import { type AwsSeed, seedIncidentAws } from "../support/incident-aws.ts";
import { runCollector } from "../support/incident-harness.ts";
import { Moto } from "../support/moto.ts";

// The AWS collector against the real moto server (EC2, CloudWatch Logs, Auto Scaling).

const moto = new Moto();
const CANARY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY1";
let seed: AwsSeed;
let now: Date;

const port = () =>
  createAwsEvidence({
    region: "us-east-1",
    endpoint: moto.url,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    maxAttempts: 1,
    requestTimeoutMs: 10_000,
  });
const collector = async (over: Partial<Parameters<typeof createAwsCollector>[0]> = {}) =>
  createAwsCollector({
    port: await port(),
    window: { since: new Date(now.getTime() - 3600_000), until: now },
    service: "checkout",
    tags: { Service: "checkout" },
    logGroups: ["/app/{service}".replace("{service}", "checkout"), "/aws/ecs/checkout-*"],
    region: "us-east-1",
    ...over,
  });

beforeEach(async () => {
  await moto.reset();
  now = new Date();
  seed = await seedIncidentAws(moto.url, { service: "checkout", now, canary: CANARY });
});

describe("collect-incident AWS collector (moto)", () => {
  test("plan lists the bounded reads; probes pass; collect writes the service's resources and the window's events only", async () => {
    const c = await collector();
    const plan = await c.plan();
    expect(plan.map((r) => r.id)).toEqual([
      "aws:ec2-instances",
      "aws:ec2-volumes",
      "aws:autoscaling",
      "aws:logs:/app/checkout",
      "aws:logs:/aws/ecs/checkout-worker",
    ]);
    expect(plan.find((r) => r.id === "aws:ec2-instances")?.estimatedBytes).toBeGreaterThan(0);
    expect((await c.probe()).every((p) => p.status === "passed")).toBe(true);
    expect(await c.identity()).toContain("arn:aws:");

    const { files, report, records } = await runCollector(c, { window: { since: new Date(now.getTime() - 3600_000), until: now } });
    expect(report.status).toBe("ok");
    const instances = (files.get("aws/ec2-instances.jsonl") as string)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(instances.map((i) => i.InstanceId)).toEqual([seed.instanceId]);
    expect(files.get("aws/ec2-volumes.jsonl")).toContain(seed.volumeId);
    expect(files.get("aws/autoscaling-groups.jsonl")).toContain("checkout-asg");
    expect(files.get("aws/autoscaling-activities/checkout-asg.jsonl")).toBe("");
    const app = files.get("aws/logs/app/checkout.log") as string;
    for (const m of (seed.inside["/app/checkout"] ?? []).slice(0, 2)) expect(app).toContain(m);
    for (const m of seed.outside["/app/checkout"] ?? []) expect(app).not.toContain(m);
    expect(files.get("aws/logs/aws/ecs/checkout-worker.log")).toContain("inside the window");
    expect([...files.keys()].some((k) => k.includes("other"))).toBe(false);
    // The canary key in the log group is pseudonymised, and the manifest counts it.
    expect(app).not.toContain(CANARY);
    expect(app).toMatch(/aws_secret_access_key=\[redacted:[0-9a-f]{12}\]/);
    const rec = records.find((r) => r.path === "aws/logs/app/checkout.log");
    expect(rec?.redactions).toEqual({ "aws-secret-key": 1 });
    expect(rec?.source).toBe("logs FilterLogEvents logGroupName=/app/checkout");
    expect(records.find((r) => r.path === "aws/ec2-instances.jsonl")?.requestIds.length).toBeGreaterThan(0);
  });

  test("a small share cuts the log groups at whole lines and records why", async () => {
    await moto.reset();
    seed = await seedIncidentAws(moto.url, { service: "checkout", now, bulkLines: 300 });
    const c = await collector();
    const { report, records, files } = await runCollector(c, { window: { since: new Date(now.getTime() - 3600_000), until: now }, share: 40_000 });
    expect(report.status).toBe("truncated");
    expect(report.bytes).toBeLessThanOrEqual(40_000);
    const cut = records.filter((r) => r.truncated);
    expect(cut.map((r) => r.path).sort()).toEqual(["aws/logs/app/checkout.log", "aws/logs/aws/ecs/checkout-worker.log"]);
    expect(cut[0]?.truncated?.reason).toMatch(/max-bytes share of .* for aws/);
    for (const r of cut) expect((files.get(r.path) as string).endsWith("\n")).toBe(true);
  });

  test("Auto Scaling activities: newest-first pages stop at the window's start (moto returns none, so a paged source stands in)", async () => {
    const w = { since: new Date("2026-12-01T10:00:00Z"), until: new Date("2026-12-01T12:00:00Z") };
    const pages = [
      {
        items: [
          { ActivityId: "future", StartTime: new Date("2026-12-01T13:00:00Z") },
          { ActivityId: "a", StartTime: new Date("2026-12-01T11:30:00Z") },
        ],
        next: "2",
        requestId: "r1",
      },
      {
        items: [
          { ActivityId: "overlaps", StartTime: new Date("2026-12-01T09:50:00Z"), EndTime: new Date("2026-12-01T10:05:00Z") },
          { ActivityId: "old", StartTime: new Date("2026-12-01T08:00:00Z"), EndTime: new Date("2026-12-01T08:10:00Z") },
        ],
        next: "3",
        requestId: "r2",
      },
      { items: [{ ActivityId: "never-read" }], requestId: "r3" },
    ];
    let calls = 0;
    const r = await activitiesInWindow(w, async (next) => {
      calls++;
      return pages[next ? Number(next) - 1 : 0] as never;
    });
    expect(r.items.map((a) => a.ActivityId)).toEqual(["a", "overlaps"]);
    expect(r.requestIds).toEqual(["r1", "r2"]);
    expect(calls).toBe(2);
  });
});
