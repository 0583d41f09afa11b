import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CollectorName } from "../../src/commands/collect-incident/collect.ts";
import { createHostsCollector } from "../../src/commands/collect-incident/collectors/hosts.ts";
import { createPostgresCollector } from "../../src/commands/collect-incident/collectors/postgres.ts";
import { Pseudonymizer } from "../../src/commands/collect-incident/redact.ts";
import { collectBundle, outcomeExit, planCollectors } from "../../src/commands/collect-incident/run.ts";
import { verifyBundle } from "../../src/commands/collect-incident/verify.ts";
import { createPgEvidence } from "../../src/providers/postgres/evidence.ts";
import { readBundle } from "../support/incident-harness.ts";
import { peers } from "../support/peers.ts";

const window = { since: new Date(Date.now() - 3600_000), until: new Date(Date.now() + 60_000) };
const classify = (_c: CollectorName, e: unknown) => ({ class: "remote" as const, message: String((e as Error).message) });

function setup(o: { pgUrl?: string; sleep?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "opsctl-run-"));
  const log = join(dir, "app.log");
  writeFileSync(log, `${new Date().toISOString()} hello from the host\n`);
  const collectors = [
    createHostsCollector({
      files: [{ path: log, filter: "time" }],
      commands: o.sleep ? [{ name: "slow", argv: ["sleep", "30"], timeoutMs: 60_000 }] : [],
      env: process.env,
    }),
    createPostgresCollector({
      connect: () => createPgEvidence(o.pgUrl ?? (peers().PG_URL as string), { connectTimeoutSeconds: 3, statementTimeoutMs: 5000 }),
      target: "127.0.0.1/opsctl",
      longTransactionMs: 300_000,
    }),
  ];
  return { dir, collectors, bundlePath: join(dir, "out", "..", "incident.tar.gz") };
}

describe("collect-incident orchestration", () => {
  test("two collectors into one bundle: exit ok, every hash verifies, shares recorded", async () => {
    const { collectors, bundlePath } = setup();
    const plans = await planCollectors(collectors, classify);
    expect(plans.flatMap((p) => p.probes.map((x) => x.status))).toEqual(["passed", "passed"]);
    const out = await collectBundle({
      collectors,
      plans,
      window,
      maxBytes: 1024 * 1024,
      bundlePath,
      pseudo: new Pseudonymizer(),
      now: () => new Date(),
      signal: new AbortController().signal,
      manifest: { command: "test" },
      classify,
    });
    expect(outcomeExit(out)).toBe("ok");
    expect(out.collectors.map((c) => [c.name, c.status, c.shareBytes])).toEqual([
      ["hosts", "ok", 524288],
      ["postgres", "ok", 524288],
    ]);
    expect(out.collectedBy.postgres).toBe("opsctl@opsctl");
    const v = await verifyBundle(bundlePath);
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(v.files);
    expect(v.digest).toBe(out.bundle?.digest as string);
    const manifest = JSON.parse(readBundle(bundlePath).get("manifest.json") as string);
    expect(manifest).toMatchObject({ schema: "opsctl.incident-bundle/v1", command: "test", maxBytes: 1048576, window: { since: window.since.toISOString() } });
  });

  test("an unreachable collector does not stop the other (exit partial); none reachable is exit remote and no bundle", async () => {
    const { collectors, bundlePath } = setup({ pgUrl: "postgres://x:y@127.0.0.1:1/db" });
    const plans = await planCollectors(collectors, classify);
    expect(plans[1]?.unavailable?.read).toBe("permission probe");
    const out = await collectBundle({
      collectors,
      plans,
      window,
      maxBytes: 1024 * 1024,
      bundlePath,
      pseudo: new Pseudonymizer(),
      now: () => new Date(),
      signal: new AbortController().signal,
      manifest: {},
      classify,
    });
    expect(outcomeExit(out)).toBe("partial");
    expect(out.collectors.map((c) => [c.name, c.status])).toEqual([
      ["hosts", "ok"],
      ["postgres", "failed"],
    ]);
    // The reachable collector had the whole budget.
    expect(out.collectors[0]?.shareBytes).toBe(1024 * 1024);

    const only = setup({ pgUrl: "postgres://x:y@127.0.0.1:1/db" });
    const pgOnly = [only.collectors[1] as (typeof only.collectors)[number]];
    const none = await collectBundle({
      collectors: pgOnly,
      plans: await planCollectors(pgOnly, classify),
      window,
      maxBytes: 1024,
      bundlePath: only.bundlePath,
      pseudo: new Pseudonymizer(),
      now: () => new Date(),
      signal: new AbortController().signal,
      manifest: {},
      classify,
    });
    expect(outcomeExit(none)).toBe("remote");
    expect(readdirSync(only.dir).filter((f) => f.includes("incident"))).toEqual([]);
  });

  test("an interrupt mid-collection leaves neither the final bundle nor a temporary file", async () => {
    const { dir, collectors, bundlePath } = setup({ sleep: true });
    const plans = await planCollectors(collectors, classify);
    const ac = new AbortController();
    const running = collectBundle({
      collectors,
      plans,
      window,
      maxBytes: 1024 * 1024,
      bundlePath,
      pseudo: new Pseudonymizer(),
      now: () => new Date(),
      signal: ac.signal,
      manifest: {},
      classify,
    });
    for (let i = 0; i < 100 && !readdirSync(dir).some((f) => f.includes(".partial-")); i++) await Bun.sleep(50);
    expect(readdirSync(dir).some((f) => f.startsWith(".incident.tar.gz.partial-"))).toBe(true);
    await Bun.sleep(300);
    ac.abort(new Error("SIGINT"));
    const out = await running;
    expect(outcomeExit(out)).toBe("interrupted");
    expect(existsSync(bundlePath)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("incident"))).toEqual([]);
  });
});
