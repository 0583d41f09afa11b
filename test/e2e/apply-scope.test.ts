import { beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
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

  test("a plan checked against its account is checked again: another account's credentials → 3, nothing read or changed", async () => {
    const { dir, env } = noRegionRepo();
    const made = await runBin(
      [
        "cleanup-volumes",
        "--environment",
        "staging",
        "--region",
        "us-east-1",
        "--account",
        "123456789012",
        "--older-than",
        "1s",
        "--dry-run",
        "--out",
        "p.json",
      ],
      { cwd: dir, env },
    );
    expect(made.code).toBe(10);
    // Credentials of another account (moto answers for the role's account): its EC2 has none of
    // the plan's volumes, so without the check every deletion would look already done.
    const r = await runBin(["apply", "p.json"], { cwd: dir, env: { ...env, ...(await credentialsIn("222222222222")) } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("p.json: the credentials belong to account 222222222222, not the plan's account 123456789012");
    expect(r.stderr).toContain("Nothing was changed.");
    expect((await moto.volumeIds()).sort()).toEqual([...vols].sort());
    const ok = await runBin(["apply", "p.json"], { cwd: dir, env });
    expect(ok.code).toBe(0);
    expect(await moto.volumeIds()).toEqual([]);
  });
});

/** Temporary credentials of a role in another account, from moto's STS. */
async function credentialsIn(account: string): Promise<Record<string, string>> {
  const sts = new STSClient({
    endpoint: moto.url,
    region: "us-east-1",
    credentials: { accessKeyId: TEST_CREDS.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_CREDS.AWS_SECRET_ACCESS_KEY },
  });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/elsewhere`, RoleSessionName: "apply-scope" }))).Credentials;
  return { AWS_ACCESS_KEY_ID: c?.AccessKeyId ?? "", AWS_SECRET_ACCESS_KEY: c?.SecretAccessKey ?? "", AWS_SESSION_TOKEN: c?.SessionToken ?? "" };
}
