import { beforeAll, describe, expect, test } from "bun:test";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { type Keys, MotoAuth } from "../support/moto-auth.ts";

// Against the moto instance that enforces IAM: rejected credentials, and credentials
// the control plane accepts but whose policy forbids the delete.

const auth = new MotoAuth();
let admin: Keys;
let readOnly: Keys;
let vols: string[];

beforeAll(async () => {
  ({ admin, readOnly } = await auth.setup());
  vols = [await auth.volume(admin, { Environment: "staging" }), await auth.volume(admin, { Environment: "staging" })].sort();
  await Bun.sleep(1100); // moto-auth runs on the real clock: let the volumes be older than --older-than 1s
});

const run = (keys: Keys, args: string[]) => {
  const { dir, env } = workspace(auth.url);
  return runBin(["cleanup-volumes", "--environment", "staging", "--older-than", "1s", ...args], {
    cwd: dir,
    env: { ...env, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
  });
};

describe("credentials and permissions", () => {
  test("rejected credentials → 4, saying the credentials were rejected", async () => {
    const r = await run({ accessKeyId: "AKIANOTAREALKEY00000", secretAccessKey: "wrong" }, ["--dry-run", "--format", "json"]);
    expect(r.code).toBe(4);
    expect(r.json.errors[0].message).toBe("EC2 rejected the credentials (AuthFailure)");
    expect(r.stdout + r.stderr).not.toContain("wrong");
    expect(await auth.volumeIds(admin)).toEqual(vols);
  });

  test("a policy that denies DeleteVolume → the DryRun check fails: 3 naming every volume, nothing deleted", async () => {
    const r = await run(readOnly, ["--format", "json"]);
    expect(r.code).toBe(3);
    expect(r.json.errors.map((e: { resource: string }) => e.resource).sort()).toEqual(vols);
    for (const e of r.json.errors) expect(e.message).toStartWith("ec2:DeleteVolume DryRun: AccessDenied:");
    expect(await auth.volumeIds(admin)).toEqual(vols);
  });

  test("the same dry run with allowed credentials passes validation (10)", async () => {
    const r = await run(admin, ["--dry-run", "--format", "json"]);
    expect(r.code).toBe(10);
    expect(r.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).toEqual(vols);
  });
});
