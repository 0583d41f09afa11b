import { beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { FaultProxy } from "../support/fault-proxy.ts";
import { Moto } from "../support/moto.ts";

// The executor with real faults between opsctl and moto: retries, drift, crashes,
// saved plans, and the audit trail. Each test checks the exit code, the JSON result
// and the volumes that are left.

const moto = new Moto();
let vols: string[];

beforeEach(async () => {
  await moto.reset();
  vols = [];
  for (let i = 0; i < 4; i++) vols.push(await moto.volume({ ageDays: 60 + i, tags: { Environment: "staging" } }));
  vols.sort();
});

const deletesOf = (proxy: FaultProxy, id: string) => proxy.seen.filter((s) => s.operation === "DeleteVolume" && !s.dryRun && s.body.includes(id)).length;

async function withProxy<T>(fn: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await new FaultProxy(moto.url).start();
  try {
    return await fn(proxy);
  } finally {
    proxy.stop();
  }
}

describe("retries and failures", () => {
  test("throttled twice, then fine → 0, and --verbose shows the SDK's retries", () =>
    withProxy(async (proxy) => {
      proxy.rules = [
        {
          operation: "DeleteVolume",
          contains: vols[0],
          times: 2,
          fault: { kind: "error", status: 503, code: "RequestLimitExceeded", message: "Request limit exceeded." },
        },
      ];
      const { dir, env } = workspace(proxy.url, "", {});
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--verbose", "--format", "json"], {
        cwd: dir,
        env: { ...env, OPSCTL_AWS__MAX_ATTEMPTS: "4" },
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("ec2 DeleteVolume: attempt 1 failed (503 RequestLimitExceeded)");
      expect(r.stderr).toContain("ec2 DeleteVolume: attempt 2 failed (503 RequestLimitExceeded)");
      expect(r.stderr).toContain("ec2 DeleteVolume: succeeded on attempt 3");
      expect(deletesOf(proxy, vols[0] as string)).toBe(3);
      expect(await moto.volumeIds()).toEqual([]);
    }));

  test("throttled past the attempts → that action fails as remote; the rest are applied (5)", () =>
    withProxy(async (proxy) => {
      proxy.rules = [{ operation: "DeleteVolume", contains: vols[2], fault: { kind: "error", status: 503, code: "Throttling", message: "Rate exceeded" } }];
      const { dir, env } = workspace(proxy.url);
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env });
      expect(r.code).toBe(5);
      const failed = r.json.result.actions.find((a: { status: string }) => a.status === "failed");
      expect(failed).toMatchObject({ resource: vols[2], error: { class: "remote", code: "Throttling" } });
      expect(deletesOf(proxy, vols[2] as string)).toBe(2);
      expect(await moto.volumeIds()).toEqual([vols[2] as string]);
    }));

  test("the endpoint dies mid-apply → 5 with the applied ones recorded; a re-run finishes the rest", () =>
    withProxy(async (proxy) => {
      const { dir, env } = workspace(proxy.url);
      let killed = false;
      proxy.beforeForward = (op, _body, dryRun) => {
        if (op === "DeleteVolume" && !dryRun && proxy.calls("DeleteVolume") >= 2 && !killed) {
          killed = true;
          proxy.stop();
          return "drop";
        }
        return undefined;
      };
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "1", "--format", "json"], {
        cwd: dir,
        env: { ...env, OPSCTL_AWS__MAX_ATTEMPTS: "1" },
      });
      expect(r.code).toBe(5);
      const statuses = r.json.result.actions.map((a: { status: string }) => a.status);
      expect(statuses[0]).toBe("applied");
      expect(statuses.slice(1).every((s: string) => s === "failed")).toBe(true);
      expect(r.json.result.actions[1].error.class).toBe("remote");
      const left = await moto.volumeIds();
      expect(left).toEqual(vols.slice(1));
      // Re-plan from live state and finish; the first volume is not touched again.
      const direct = workspace(moto.url);
      const again = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: direct.dir, env: direct.env });
      expect(again.code).toBe(0);
      expect(again.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).toEqual(vols.slice(1));
      expect(await moto.volumeIds()).toEqual([]);
    }));
});

describe("calls that are not idempotent", () => {
  test("CreateSnapshot takes effect but its answer is lost: opsctl re-reads state instead of making a second snapshot", () =>
    withProxy(async (proxy) => {
      proxy.rules = [{ operation: "CreateSnapshot", times: 1, fault: { kind: "lose-response", status: 503, code: "ServiceUnavailable" } }];
      const { dir, env } = workspace(proxy.url);
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--snapshot-first", "--concurrency", "1", "--verbose", "--format", "json"], {
        cwd: dir,
        env,
      });
      expect(r.code).toBe(0);
      const snaps = (await moto.snapshots()).filter((s) => s.tags["opsctl:purpose"] === "pre-delete");
      expect(snaps.map((s) => s.tags["opsctl:source-volume"]).sort()).toEqual(vols);
      // One CreateSnapshot per volume: the lost one was not sent again.
      expect(proxy.calls("CreateSnapshot")).toBe(vols.length);
      expect(r.stderr).toContain("re-reading state before try 2");
      expect(await moto.volumeIds()).toEqual([]);
    }));
});

describe("crash and interrupt", () => {
  test("SIGKILL mid-apply, then a re-run: every candidate deleted exactly once, nothing else touched", () =>
    withProxy(async (proxy) => {
      const bystander = await moto.volume({ ageDays: 90, tags: { Environment: "prod" } });
      proxy.rules = [{ operation: "DeleteVolume", fault: { kind: "delay", ms: 700 } }];
      const { dir, env } = workspace(proxy.url);
      const first = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "1"], {
        cwd: dir,
        env,
        during: async (proc) => {
          await proxy.waitForCalls("DeleteVolume", 2);
          proc.kill("SIGKILL");
        },
      });
      expect(first.code).toBe(137);
      // Whatever the killed run had sent still lands, as it would at a real endpoint.
      await Bun.sleep(50);
      await proxy.drained();
      const again = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env });
      expect(again.code).toBe(0);
      // The killed run's lock file names a dead pid: taken over with a warning.
      expect(again.stderr).toContain("taking over stale lock cleanup-volumes/staging/us-east-1/-");
      for (const v of vols) expect(deletesOf(proxy, v)).toBe(1);
      expect(await moto.volumeIds()).toEqual([bystander]);
    }));

  test("SIGTERM mid-apply → 130; the audit log records what was applied", () =>
    withProxy(async (proxy) => {
      proxy.rules = [{ operation: "DeleteVolume", fault: { kind: "delay", ms: 800 } }];
      const { dir, env } = workspace(proxy.url);
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "2", "--format", "json"], {
        cwd: dir,
        env,
        during: async (proc) => {
          await proxy.waitForCalls("DeleteVolume", 2);
          proc.kill("SIGTERM");
        },
      });
      expect(r.code).toBe(130);
      expect(r.json.result.actions.map((a: { status: string }) => a.status)).toEqual(["applied", "applied", "not-reached", "not-reached"]);
      const history = await runBin(["history", "--format", "json"], { cwd: dir, env });
      const rec = history.json.result.records[0];
      expect(rec.exit).toEqual({ code: 130, name: "interrupted" });
      expect(rec.actions.map((a: { status: string }) => a.status)).toEqual(["applied", "applied", "not-reached", "not-reached"]);
      expect(await moto.volumeIds()).toEqual(vols.slice(2));
    }));
});

describe("timeouts and a second signal", () => {
  test("a call slower than aws.requestTimeout fails as remote: nothing applied → 4", () =>
    withProxy(async (proxy) => {
      proxy.rules = [{ operation: "DescribeVolumes", fault: { kind: "delay", ms: 3000 } }];
      const { dir, env } = workspace(proxy.url);
      const started = Date.now();
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], {
        cwd: dir,
        env: { ...env, OPSCTL_AWS__REQUEST_TIMEOUT: "1s", OPSCTL_AWS__MAX_ATTEMPTS: "1" },
      });
      expect(r.code).toBe(4);
      expect(r.json.errors[0].message).toContain("cannot reach EC2 at");
      expect(Date.now() - started).toBeLessThan(2900);
      await proxy.drained();
      expect(await moto.volumeIds()).toEqual(vols);
    }));

  test("a second SIGINT exits at once, without waiting for in-flight calls", () =>
    withProxy(async (proxy) => {
      proxy.rules = [{ operation: "DeleteVolume", fault: { kind: "delay", ms: 5000 } }];
      const { dir, env } = workspace(proxy.url);
      let signalled = 0;
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "1"], {
        cwd: dir,
        env,
        during: async (proc) => {
          await proxy.waitForCalls("DeleteVolume", 1);
          proc.kill("SIGINT");
          await Bun.sleep(200);
          signalled = Date.now();
          proc.kill("SIGINT");
        },
      });
      expect(r.code).toBe(130);
      expect(Date.now() - signalled).toBeLessThan(2000);
      expect(r.stderr).toContain("SIGINT received: finishing in-flight calls, starting nothing new (again to exit now)");
    }));
});

describe("drift", () => {
  test("a volume attached between plan and apply is skipped as drifted, the others are deleted", () =>
    withProxy(async (proxy) => {
      let attached = false;
      proxy.beforeForward = async (op, _body, dryRun) => {
        if (op === "DeleteVolume" && !dryRun && !attached) {
          attached = true;
          await moto.attach(vols[3] as string);
        }
        return undefined;
      };
      const { dir, env } = workspace(proxy.url);
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "1", "--format", "json"], { cwd: dir, env });
      expect(r.code).toBe(0);
      const last = r.json.result.actions[3];
      expect(last.status).toBe("skipped");
      // Re-reads are batched (one DescribeVolumes before the first delete), so this volume was
      // read before it was attached; EC2's VolumeInUse answer to its delete is the drift signal.
      expect(last.detail).toBe("drifted: attached since it was re-read (DeleteVolume answered VolumeInUse)");
      expect(r.json.summary).toMatchObject({ planned: 4, applied: 3, failed: 0 });
      expect((await moto.volumeIds()).includes(vols[3] as string)).toBe(true);
      // One delete was sent for it and refused by EC2 (the volume is still there, checked above).
      expect(deletesOf(proxy, vols[3] as string)).toBe(1);
    }));
});

describe("saved plans", () => {
  async function savePlan() {
    const ws = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--out", "plan.json"], { cwd: ws.dir, env: ws.env });
    expect(r.code).toBe(10);
    return { ...ws, file: join(ws.dir, "plan.json") };
  }

  test("opsctl apply runs exactly the saved actions, not what appeared since", async () => {
    const { dir, env } = await savePlan();
    const newcomer = await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
    const r = await runBin(["apply", "plan.json", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.json.mode).toBe("apply");
    expect(r.json.command).toBe("cleanup-volumes");
    expect(r.json.result.actions.map((a: { resource: string }) => a.resource)).toEqual(vols);
    expect(await moto.volumeIds()).toEqual([newcomer]);
  });

  test("a tampered plan → 3 before any mutation", async () => {
    const { dir, env, file } = await savePlan();
    const plan = JSON.parse(readFileSync(file, "utf8"));
    plan.actions[0].call.parameters.VolumeId = "vol-someone-else";
    writeFileSync(file, JSON.stringify(plan));
    const r = await runBin(["apply", "plan.json"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("digest mismatch: the plan was changed after it was made");
    expect(await moto.volumeIds()).toEqual(vols);
  });

  test("an expired plan → 3; an unreadable plan path → 2", async () => {
    const { dir, env } = await savePlan();
    await Bun.sleep(1100);
    const r = await runBin(["apply", "plan.json", "--max-age", "1s", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.json.errors[0].message).toContain("older than --max-age 1s");
    const missing = await runBin(["apply", "nope.json"], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read plan file nope.json (ENOENT)");
    expect(await moto.volumeIds()).toEqual(vols);
  });

  test("a saved plan with a drifted action → 3 naming it, nothing applied", async () => {
    const { dir, env } = await savePlan();
    await moto.attach(vols[1] as string);
    const r = await runBin(["apply", "plan.json", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.json.errors[0]).toMatchObject({ resource: vols[1] });
    expect(r.json.errors[0].message).toContain("volume is still unattached");
    expect(await moto.volumeIds()).toEqual((await moto.volumeIds()).filter(() => true));
    for (const v of vols) expect((await moto.volumeIds()).includes(v)).toBe(true);
  });

  test("a saved plan whose scope no longer resolves the same → 3", async () => {
    const { dir, env } = await savePlan();
    const r = await runBin(["apply", "plan.json"], { cwd: dir, env: { ...env, OPSCTL_REGION: "eu-west-1" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("the plan was made for region=us-east-1, but env OPSCTL_REGION gives region=eu-west-1");
    expect(await moto.volumeIds()).toEqual(vols);
  });
});
