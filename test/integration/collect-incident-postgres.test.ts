import { afterEach, describe, expect, test } from "bun:test";
import { blockingChains, createPostgresCollector } from "../../src/commands/collect-incident/collectors/postgres.ts";
import { createPgEvidence } from "../../src/providers/postgres/evidence.ts";
import { runCollector } from "../support/incident-harness.ts";
import { blockingChain, deniedDatabase } from "../support/incident-pg.ts";
import { peers } from "../support/peers.ts";

// The PostgreSQL collector against the real server, with a blocking chain set up.

const url = peers().PG_URL as string;
const window = { since: new Date(Date.now() - 3600_000), until: new Date(Date.now() + 3600_000) };
const CANARY = "pg-canary-Zq81xw";
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

const collector = (dsn = url) =>
  createPostgresCollector({
    connect: () => createPgEvidence(dsn, { connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 }),
    target: "127.0.0.1/opsctl",
    longTransactionMs: 0,
  });

describe("collect-incident PostgreSQL collector", () => {
  test("activity, locks, the blocking chain, replication state and long transactions; the DSN in a query is redacted", async () => {
    const chain = await blockingChain(url, { table: "incident_t1", canaryQuery: `select 'postgres://svc:${CANARY}@db.internal/app' as dsn, pg_sleep(0)` });
    stop = chain.stop;
    const c = collector();
    expect((await c.probe()).map((p) => p.status)).toEqual(["passed"]);
    expect(await c.identity()).toBe("opsctl@opsctl");
    const { files, report } = await runCollector(c, { window });
    expect(report.status).toBe("ok");
    const all = [...files.values()].join("\n");
    expect(all).not.toContain(CANARY);
    const rows = (f: string) =>
      (files.get(f) as string)
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    const activity = rows("postgres/pg_stat_activity.jsonl");
    expect(activity.map((r) => r.pid)).toEqual(expect.arrayContaining([chain.pids.a, chain.pids.b, chain.pids.c]));
    expect(activity.find((r) => r.pid === chain.pids.a)?.query).toMatch(/postgres:\/\/svc:\[redacted:[0-9a-f]{12}\]@db\.internal/);
    const locks = rows("postgres/pg_locks.jsonl");
    expect(locks.some((l) => l.relation === "incident_t1" && l.mode === "AccessExclusiveLock" && l.granted === true)).toBe(true);
    expect(locks.some((l) => l.relation === "incident_t1" && l.granted === false)).toBe(true);
    const blocking = rows("postgres/blocking.jsonl");
    expect(blocking.find((r) => r.pid === chain.pids.b)?.blocked_by).toEqual([chain.pids.a]);
    const chains = JSON.parse(files.get("postgres/blocking-chains.json") as string);
    expect(chains).toContainEqual({ root: chain.pids.a, chain: [chain.pids.a, chain.pids.b] });
    expect(rows("postgres/replication.jsonl")[0]).toMatchObject({ kind: "recovery", in_recovery: false });
    expect(rows("postgres/long-transactions.jsonl").map((r) => r.pid)).toContain(chain.pids.a);
  });

  test("rejected credentials are not a probe verdict: the error propagates (exit 4 upstream); the password is not in it", async () => {
    const bad = url.replace(/:[^:@]+@/, ":wrong-password-x@");
    const err = await collector(bad)
      .probe()
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(err).toMatchObject({ code: "28P01" });
    expect(String(err?.message)).not.toContain("wrong-password-x");
  });

  test("a view the role may not read fails that read only; the others are still collected", async () => {
    await deniedDatabase(peers().PG_ADMIN_URL as string, "incident_denied", ["pg_locks"]);
    const c = collector(url.replace(/\/opsctl$/, "/incident_denied"));
    expect((await c.probe())[0]?.status).toBe("passed");
    const { files, report } = await runCollector(c, { window });
    expect(report.status).toBe("partial");
    expect(report.failures).toEqual([
      { read: "pg_locks (all locks, granted and waiting)", class: "auth", code: "42501", message: expect.stringContaining("permission denied") },
    ]);
    expect(files.has("postgres/pg_stat_activity.jsonl")).toBe(true);
    expect(files.has("postgres/pg_locks.jsonl")).toBe(false);
  });

  test("blockingChains follows first blockers to the root and survives cycles", () => {
    expect(
      blockingChains([
        { pid: 3, blocked_by: [2] },
        { pid: 2, blocked_by: [1] },
      ]),
    ).toEqual([
      { root: 1, chain: [1, 2] },
      { root: 1, chain: [1, 2, 3] },
    ]);
    expect(
      blockingChains([
        { pid: 1, blocked_by: [2] },
        { pid: 2, blocked_by: [1] },
      ]),
    ).toEqual([
      { root: 2, chain: [2, 1] },
      { root: 1, chain: [1, 2] },
    ]);
  });
});
