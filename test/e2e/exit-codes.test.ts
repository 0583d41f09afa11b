import { beforeAll, describe, expect, test } from "bun:test";
import { EXIT_CODES } from "../../src/core/exit-codes.ts";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { FaultProxy } from "../support/fault-proxy.ts";
import { Moto } from "../support/moto.ts";

// Every row of the exit-code table, produced by a real scenario with the compiled binary.

const moto = new Moto();
const seen = new Set<number>();
const seed = async () => {
  await moto.reset();
  const a = await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
  const b = await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
  const c = await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
  return [a, b, c].sort();
};
const expectExit = (r: { code: number; json: { exit: { code: number; name: string } } }, name: string) => {
  const row = EXIT_CODES.find((x) => x.name === name);
  expect(r.code).toBe(row?.code as number);
  expect(r.json.exit).toEqual({ code: row?.code as number, name });
  seen.add(r.code);
};

describe("exit-code table", () => {
  beforeAll(async () => {
    await moto.reset();
  });

  test("opsctl exit-codes prints the table in text and JSON", async () => {
    const { dir, env } = workspace(moto.url);
    const text = await runBin(["exit-codes"], { cwd: dir, env });
    expect(text.code).toBe(0);
    for (const r of EXIT_CODES) expect(text.stdout).toMatch(new RegExp(`\\b${r.code}\\s+${r.name}\\b`));
    const json = await runBin(["exit-codes", "--format", "json"], { cwd: dir, env });
    expect(json.json.result.exitCodes).toEqual(EXIT_CODES.map((r) => ({ ...r })));
    expectExit(json, "ok");
  });

  test("1 internal: the disk fails under a plan write (ENOSPC)", async () => {
    await seed();
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--out", "/dev/full", "--format", "json"], { cwd: dir, env });
    expectExit(r, "internal");
    expect(r.json.errors[0].message).toBe("internal error: cannot write plan file /dev/full (ENOSPC)");
    expect(r.stderr).toContain("This is a bug in opsctl. Please report it");
  });

  test("2 usage, 3 validation, 10 changes, 0 ok", async () => {
    const volumes = await seed();
    const { dir, env } = workspace(moto.url);
    expectExit(await runBin(["cleanup-volumes", "--environment", "staging", "--bogus", "--format", "json"], { cwd: dir, env }), "usage");
    expectExit(await runBin(["cleanup-volumes", "--environment", "staging", "--max-changes", "2", "--format", "json"], { cwd: dir, env }), "validation");
    expectExit(await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"], { cwd: dir, env }), "changes");
    expect(await moto.volumeIds()).toEqual(volumes);
    expectExit(await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env }), "ok");
    expect(await moto.volumeIds()).toEqual([]);
  });

  test("4 remote: nothing applied because every delete met a remote failure", async () => {
    const volumes = await seed();
    const proxy = await new FaultProxy(moto.url).start();
    try {
      proxy.rules = [{ operation: "DeleteVolume", fault: { kind: "error", status: 503, code: "ServiceUnavailable" } }];
      const { dir, env } = workspace(proxy.url);
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env: { ...env, OPSCTL_AWS__MAX_ATTEMPTS: "1" } });
      expectExit(r, "remote");
      expect(r.json.result.actions.every((a: { status: string; error: { class: string } }) => a.status === "failed" && a.error.class === "remote")).toBe(true);
      expect(await moto.volumeIds()).toEqual(volumes);
    } finally {
      proxy.stop();
    }
  });

  test("5 partial: one delete fails for good, every other candidate is deleted", async () => {
    const volumes = await seed();
    const proxy = await new FaultProxy(moto.url).start();
    try {
      proxy.rules = [
        // Not VolumeInUse: that answer is drift (attached since the batched re-read), reported as skipped.
        {
          operation: "DeleteVolume",
          contains: volumes[1],
          fault: { kind: "error", status: 400, code: "IncorrectState", message: "volume is in an incorrect state" },
        },
      ];
      const { dir, env } = workspace(proxy.url);
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env });
      expectExit(r, "partial");
      const byId = Object.fromEntries(r.json.result.actions.map((a: { resource: string; status: string }) => [a.resource, a.status]));
      expect(byId).toEqual({ [volumes[0] as string]: "applied", [volumes[1] as string]: "failed", [volumes[2] as string]: "applied" });
      expect(r.json.summary).toMatchObject({ planned: 3, applied: 2, failed: 1 });
      expect(await moto.volumeIds()).toEqual([volumes[1] as string]);
    } finally {
      proxy.stop();
    }
  });

  test("130 interrupted: SIGINT mid-apply finishes in-flight calls, starts nothing new, reports truthfully", async () => {
    const volumes = await seed();
    const proxy = await new FaultProxy(moto.url).start();
    try {
      proxy.rules = [{ operation: "DeleteVolume", fault: { kind: "delay", ms: 1500 } }];
      const { dir, env } = workspace(proxy.url);
      const r = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "1", "--format", "json"], {
        cwd: dir,
        env,
        during: async (proc) => {
          await proxy.waitForCalls("DeleteVolume", 1);
          proc.kill("SIGINT");
        },
      });
      expectExit(r, "interrupted");
      expect(r.json.result.interrupted).toBe(true);
      const statuses = r.json.result.actions.map((a: { status: string }) => a.status);
      expect(statuses).toEqual(["applied", "not-reached", "not-reached"]);
      expect(r.stderr).toContain("SIGINT received");
      expect(proxy.calls("DeleteVolume")).toBe(1);
      expect(await moto.volumeIds()).toEqual(volumes.slice(1));
    } finally {
      proxy.stop();
    }
  });

  test("every documented code was produced above", () => {
    expect([...seen].sort((a, b) => a - b)).toEqual(EXIT_CODES.map((r) => r.code));
  });
});
