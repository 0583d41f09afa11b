import { describe, expect, test } from "bun:test";
import type { AwsClientOptions } from "../../src/providers/aws/options.ts";
import { FakeEc2, volume } from "../support/fake-ec2.ts";
import { runInProcess } from "../support/inproc.ts";
import { tempRepo } from "../support/tmp.ts";

// The run's API budget as the provider sees it (awsOptions hands every client the same one)
// and as the result and the terminal show it. The FAKE EC2 port charges the budget itself
// for each delete, as the SDK middleware does for real clients (tested against moto in e2e).

const setup = () => {
  const repo = tempRepo({ "opsctl.config.yaml": "region: us-east-1\n" });
  const env = { HOME: repo, XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state`, USER: "tester" };
  const ec2 = new FakeEc2([volume("vol-1", { tags: { Environment: "staging" } }), volume("vol-2", { tags: { Environment: "staging" } })]);
  const seen: AwsClientOptions[] = [];
  const providers = {
    ec2: async (o: AwsClientOptions) => {
      seen.push(o);
      ec2.beforeDelete = async () => {
        await o.budget?.acquire({ account: o.account ?? "default", region: o.region, service: "ec2", operation: "DeleteVolume" });
      };
      return ec2;
    },
  };
  return { repo, env, ec2, seen, providers };
};

describe("API budget in a run", () => {
  test("every client of the run gets the same budget, keyed by the configured region; calls are in the JSON result", async () => {
    const { repo, env, seen, providers } = setup();
    const r = await runInProcess(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: repo, env, providers });
    expect(r.code).toBe(0);
    expect(seen.length).toBe(1);
    expect(seen[0]?.region).toBe("us-east-1");
    const j = JSON.parse(r.stdout);
    expect(j.apiCalls).toEqual({
      calls: 2,
      throttled: 0,
      waitedMs: 0,
      operations: [{ service: "ec2", operation: "DeleteVolume", calls: 2, throttled: 0, waitedMs: 0, limit: { capacity: 50, refillPerSecond: 2.5 } }],
    });
  });

  test("a dry run that made no call has no apiCalls", async () => {
    const { repo, env, providers } = setup();
    const r = await runInProcess(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"], { cwd: repo, env, providers });
    expect(r.code).toBe(10);
    expect(JSON.parse(r.stdout).apiCalls).toBeUndefined();
  });

  test("on a terminal the progress line shows the calls, throttles and limiter wait", async () => {
    const { repo, env, providers } = setup();
    const r = await runInProcess(["cleanup-volumes", "--environment", "staging", "--concurrency", "1"], { cwd: repo, env, stderrIsTTY: true, providers });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("\r\u001b[K1/2 done: 1 applied, 0 failed, 0 skipped · 1 API call, 0 throttled, 0.0 s waited on the rate limiter");
    expect(r.stderr).toContain("2/2 done: 2 applied, 0 failed, 0 skipped · 2 API calls, 0 throttled, 0.0 s waited on the rate limiter");
  });

  test("the configured share and per-operation buckets reach the limiter", async () => {
    const { env, providers } = setup();
    const cfg =
      'region: us-east-1\naws:\n  apiBudget:\n    share: 0.2\n    operations:\n      "ec2:DeleteVolume": { capacity: 400, refillPerSecond: 20, share: 1 }\n';
    const repo2 = tempRepo({ "opsctl.config.yaml": cfg });
    const r = await runInProcess(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: repo2, env: { ...env, HOME: repo2 }, providers });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).apiCalls.operations[0].limit).toEqual({ capacity: 400, refillPerSecond: 20 });
  });

  test("a bad share is a usage error naming the key", async () => {
    const repo = tempRepo({ "opsctl.config.yaml": "region: us-east-1\naws:\n  apiBudget:\n    share: 1.5\n" });
    const r = await runInProcess(["cleanup-volumes", "--environment", "staging", "--dry-run"], { cwd: repo, env: { HOME: repo } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("aws.apiBudget.share");
    expect(r.stderr).toContain("must be at most 1");
  });
});
