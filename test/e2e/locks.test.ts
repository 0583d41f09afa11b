import { beforeEach, describe, expect, test } from "bun:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { FaultProxy } from "../support/fault-proxy.ts";
import { Moto } from "../support/moto.ts";
import { peers } from "../support/peers.ts";

// One lock per scope, for apply only: two concurrent applies → exactly one gets 4,
// with the embedded file lock and with the shared backends on real servers.

const moto = new Moto();
const pgUrl = peers().PG_URL as string;
let vols: string[];

beforeEach(async () => {
  await moto.reset();
  vols = [];
  for (let i = 0; i < 3; i++) vols.push(await moto.volume({ ageDays: 40, tags: { Environment: "staging" } }));
  vols.sort();
  const s3 = new S3Client({
    endpoint: moto.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: "opsctl-locks" }));
});

const BACKENDS: Record<string, string> = {
  local: "",
  postgres: "lock:\n  backend: postgres\n  postgres:\n    dsn: env:LOCK_DSN\n",
  s3: "lock:\n  backend: s3\n  s3:\n    bucket: opsctl-locks\n    lease: 1m\n",
};

for (const [backend, lockConfig] of Object.entries(BACKENDS)) {
  describe(`${backend} lock backend`, () => {
    test("two concurrent applies on one scope: exactly one gets 4, naming the holder; a dry run never waits", async () => {
      const proxy = await new FaultProxy(moto.url).start();
      try {
        proxy.rules = [{ operation: "DeleteVolume", fault: { kind: "delay", ms: 600 } }];
        const { dir, env } = workspace(proxy.url, lockConfig);
        const fullEnv = { ...env, LOCK_DSN: pgUrl };
        let second: Awaited<ReturnType<typeof runBin>> | undefined;
        let dry: Awaited<ReturnType<typeof runBin>> | undefined;
        const first = await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "1", "--format", "json"], {
          cwd: dir,
          env: fullEnv,
          during: async () => {
            await proxy.waitForCalls("DeleteVolume", 1);
            second = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], { cwd: dir, env: fullEnv });
            dry = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"], { cwd: dir, env: fullEnv });
          },
        });
        expect(first.code).toBe(0);
        expect(second?.code).toBe(4);
        expect(second?.json.errors[0].message).toMatch(
          new RegExp(`lock cleanup-volumes/staging/us-east-1/- is held by pid \\d+ on .+ since .+ \\[${backend}\\]`),
        );
        expect(second?.json.result).toBeNull();
        expect(dry?.code).toBe(10);
        expect(await moto.volumeIds()).toEqual([]);
        expect(proxy.calls("DeleteVolume")).toBe(3);
        if (backend === "postgres") {
          // A shared backend keeps a copy of every audit record next to its locks.
          const { default: postgres } = await import("postgres");
          const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
          const rows = await sql<{ record: { planDigest: string; exit: { code: number } } }[]>`select record from opsctl_audit order by seq desc limit 1`;
          await sql.end();
          expect(rows[0]?.record.planDigest).toBe(first.json.plan.digest);
          expect(rows[0]?.record.exit.code).toBe(0);
        }
      } finally {
        proxy.stop();
      }
    });

    test("lock list shows a held lock; after the run it is gone; --lock-timeout waits for it", async () => {
      const proxy = await new FaultProxy(moto.url).start();
      try {
        proxy.rules = [{ operation: "DeleteVolume", fault: { kind: "delay", ms: 400 } }];
        const { dir, env } = workspace(proxy.url, lockConfig);
        const fullEnv = { ...env, LOCK_DSN: pgUrl };
        let listed: Awaited<ReturnType<typeof runBin>> | undefined;
        let waited: Awaited<ReturnType<typeof runBin>> | undefined;
        await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "1"], {
          cwd: dir,
          env: fullEnv,
          during: async () => {
            await proxy.waitForCalls("DeleteVolume", 1);
            listed = await runBin(["lock", "list", "--format", "json"], { cwd: dir, env: fullEnv });
            waited = await runBin(["cleanup-volumes", "--environment", "staging", "--lock-timeout", "30s", "--format", "json"], { cwd: dir, env: fullEnv });
          },
        });
        expect(listed?.code).toBe(0);
        expect(listed?.json.result.backend).toBe(backend);
        expect(listed?.json.result.locks).toHaveLength(1);
        expect(listed?.json.result.locks[0]).toMatchObject({ id: "cleanup-volumes/staging/us-east-1/-", command: "cleanup-volumes", stale: false });
        // It waited for the first run, then re-planned from live state: nothing left to do.
        expect(waited?.code).toBe(0);
        expect(waited?.json.plan.actions).toEqual([]);
        const after = await runBin(["lock", "list", "--format", "json"], { cwd: dir, env: fullEnv });
        expect(after.json.result.locks).toEqual([]);
      } finally {
        proxy.stop();
      }
    });
  });
}

describe("lock administration", () => {
  test("a lock left by a killed run: listed as stale, released with --force (and refused without it)", async () => {
    const proxy = await new FaultProxy(moto.url).start();
    try {
      proxy.rules = [{ operation: "DeleteVolume", fault: { kind: "delay", ms: 2000 } }];
      const { dir, env } = workspace(proxy.url, BACKENDS.s3);
      await runBin(["cleanup-volumes", "--environment", "staging", "--concurrency", "1"], {
        cwd: dir,
        env,
        during: async (proc) => {
          await proxy.waitForCalls("DeleteVolume", 1);
          proc.kill("SIGKILL");
        },
      });
      const held = await runBin(["cleanup-volumes", "--environment", "staging"], { cwd: dir, env });
      expect(held.code).toBe(4);
      const refused = await runBin(["lock", "release", "cleanup-volumes/staging/us-east-1/-"], { cwd: dir, env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("lock release needs --force");
      const released = await runBin(["lock", "release", "--force", "cleanup-volumes/staging/us-east-1/-"], { cwd: dir, env });
      expect(released.code).toBe(0);
      expect(released.stdout).toContain("Released lock cleanup-volumes/staging/us-east-1/-.");
      const unknown = await runBin(["lock", "release", "--force", "nope"], { cwd: dir, env });
      expect(unknown.code).toBe(3);
      await proxy.drained();
      const ok = await runBin(["cleanup-volumes", "--environment", "staging"], { cwd: dir, env });
      expect(ok.code).toBe(0);
      expect(await moto.volumeIds()).toEqual([]);
    } finally {
      proxy.stop();
    }
  });

  test("an unreachable lock store → 4 and nothing deleted", async () => {
    const { dir, env } = workspace(moto.url, BACKENDS.postgres);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--format", "json"], {
      cwd: dir,
      env: { ...env, LOCK_DSN: "postgres://opsctl:pw@127.0.0.1:9/opsctl" },
    });
    expect(r.code).toBe(4);
    expect(r.json.errors[0].message).toContain("cannot reach the PostgreSQL lock store");
    expect(r.stdout + r.stderr).not.toContain(":pw@");
    expect(await moto.volumeIds()).toEqual(vols);
  });

  test("a lock store that answers with an error (missing bucket) → 4 naming it, nothing deleted", async () => {
    const { dir, env } = workspace(moto.url, "lock:\n  backend: s3\n  s3:\n    bucket: no-such-bucket\n");
    const r = await runBin(["cleanup-volumes", "--environment", "staging"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("the s3 lock store failed to take lock cleanup-volumes/staging/us-east-1/-: NoSuchBucket");
    expect(await moto.volumeIds()).toEqual(vols);
  });

  test("history lists applies newest first, with their results", async () => {
    const { dir, env } = workspace(moto.url);
    await runBin(["cleanup-volumes", "--environment", "staging", "--max-changes", "1"], { cwd: dir, env });
    await runBin(["cleanup-volumes", "--environment", "staging"], { cwd: dir, env });
    const h = await runBin(["history", "--format", "json", "--limit", "5"], { cwd: dir, env });
    expect(h.json.result.records.map((r: { exit: { name: string } }) => r.exit.name)).toEqual(["ok", "validation"]);
    expect(h.json.result.records[0].summary).toMatchObject({ planned: 3, applied: 3 });
    const text = await runBin(["history"], { cwd: dir, env });
    expect(text.stdout).toMatch(/cleanup-volumes\s+staging\/us-east-1\s+sha256:\w+\s+3\/3\s+0 ok/);
  });
});
