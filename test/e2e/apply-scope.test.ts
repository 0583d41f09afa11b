import { beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { Moto, TEST_CREDS } from "../support/moto.ts";
import { tempRepo } from "../support/tmp.ts";

// A saved plan's scope is part of what was reviewed: `apply` acts on that scope even
// when it came from flags, takes the scope flags as confirmation, and refuses (exit 3,
// naming both values and their sources) only when config or an apply flag disagrees.

const moto = new Moto();
let vols: string[];

beforeEach(async () => {
  await moto.reset();
  vols = [await moto.volume({ ageDays: 60, tags: { Environment: "staging" } }), await moto.volume({ ageDays: 61, tags: { Environment: "staging" } })];
});

/** A repository whose config has no region: the scope comes from the flags alone. */
function noRegionRepo(extra = "") {
  const dir = tempRepo({ "opsctl.config.yaml": `aws:\n  endpoint: ${moto.url}\n  maxAttempts: 2\n${extra}` });
  mkdirSync(join(dir, "home"), { recursive: true });
  const env = {
    ...TEST_CREDS,
    AWS_REGION: "",
    HOME: join(dir, "home"),
    XDG_CONFIG_HOME: join(dir, "home", ".config"),
    XDG_STATE_HOME: join(dir, "home", ".state"),
  };
  return { dir, env };
}

async function savedWithFlags() {
  const ws = noRegionRepo();
  const r = await runBin(["cleanup-volumes", "--environment", "staging", "--region", "us-east-1", "--older-than", "1s", "--dry-run", "--out", "p.json"], {
    cwd: ws.dir,
    env: ws.env,
  });
  expect(r.code).toBe(10);
  return ws;
}

describe("apply FILE: the plan's scope", () => {
  test("a plan made with --environment and --region applies with no region in config (exit 0)", async () => {
    const { dir, env } = await savedWithFlags();
    const r = await runBin(["apply", "p.json", "--yes", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("error");
    expect(r.json.scope).toEqual({ environment: "staging", region: "us-east-1" });
    expect(r.json.summary).toMatchObject({ planned: 2, applied: 2 });
    expect(await moto.volumeIds()).toEqual([]);
  });

  test("the scope flags are accepted on apply as confirmation (exit 0)", async () => {
    const { dir, env } = await savedWithFlags();
    const r = await runBin(["apply", "p.json", "--environment", "staging", "--region", "us-east-1"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(await moto.volumeIds()).toEqual([]);
  });

  test("--region on apply that differs from the plan's → 3 naming both values and the flag; nothing changed", async () => {
    const { dir, env } = await savedWithFlags();
    const r = await runBin(["apply", "p.json", "--region", "eu-west-1", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.json.errors).toHaveLength(1);
    expect(r.json.errors[0].message).toBe(
      "p.json: the plan was made for region=us-east-1, but flag --region gives region=eu-west-1; apply a plan only to the scope it was made for",
    );
    expect((await moto.volumeIds()).sort()).toEqual([...vols].sort());
  });

  test("--environment on apply that differs → 3", async () => {
    const { dir, env } = await savedWithFlags();
    const r = await runBin(["apply", "p.json", "--environment", "prod"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("the plan was made for environment=staging, but flag --environment gives environment=prod");
    expect((await moto.volumeIds()).sort()).toEqual([...vols].sort());
  });

  test("config that now resolves another region → 3 naming the file and key", async () => {
    const { dir, env } = await savedWithFlags();
    writeFileSync(join(dir, "opsctl.config.yaml"), `region: eu-west-1\naws:\n  endpoint: ${moto.url}\n  maxAttempts: 2\n`);
    const r = await runBin(["apply", "p.json"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("p.json: the plan was made for region=us-east-1, but opsctl.config.yaml: region gives region=eu-west-1");
    expect((await moto.volumeIds()).sort()).toEqual([...vols].sort());
  });

  test("config that now sets an account the plan did not have → 3", async () => {
    const { dir, env } = await savedWithFlags();
    const r = await runBin(["apply", "p.json"], { cwd: dir, env: { ...env, OPSCTL_ACCOUNT: "123456789012" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("the plan was made for no account, but env OPSCTL_ACCOUNT gives account=123456789012");
  });

  test("config that gives the same region confirms it (exit 0)", async () => {
    const { dir, env } = await savedWithFlags();
    const r = await runBin(["apply", "p.json"], { cwd: dir, env: { ...env, OPSCTL_REGION: "us-east-1" } });
    expect(r.code).toBe(0);
  });
});
