import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { type AwsSeed, seedIncidentAws } from "../support/incident-aws.ts";
import { blockingChain, deniedDatabase } from "../support/incident-pg.ts";
import { Moto } from "../support/moto.ts";
import { peers } from "../support/peers.ts";

// collect-incident through the compiled binary against moto (EC2, CloudWatch Logs, Auto
// Scaling), the real PostgreSQL with a blocking chain, and files on this host.

const moto = new Moto();
const PG = peers().PG_URL as string;
const PG_PASSWORD = new URL(PG).password;
const CANARY_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY1";
const CANARY_DSN_PW = "dsn-canary-pw-7781";
const CANARY_TOKEN = "canary-bearer-token-55aa";
let seed: AwsSeed;
let chain: Awaited<ReturnType<typeof blockingChain>>;
const now = new Date();
const iso = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, "Z");

beforeAll(async () => {
  await moto.reset();
  seed = await seedIncidentAws(moto.url, { service: "checkout", now, canary: CANARY_KEY });
  chain = await blockingChain(PG, { table: "incident_e2e", canaryQuery: `select 'postgres://svc:${CANARY_DSN_PW}@db.internal/app' as dsn` });
});
afterAll(async () => {
  await chain?.stop();
});

function hostLog(dir: string): string {
  const path = join(dir, "app.log");
  writeFileSync(
    path,
    [
      `${iso(180)} before the window: request 1`,
      `${iso(20)} payment failed; Authorization: Bearer ${CANARY_TOKEN}`,
      `${iso(19)} reloading credentials aws_secret_access_key=${CANARY_KEY}`,
      `${iso(10)} inside the window: request 2`,
      "",
    ].join("\n"),
  );
  return path;
}

function setup(o: { dsn?: string; commands?: string; include?: string } = {}) {
  const ws = workspace(moto.url);
  const log = hostLog(ws.dir);
  const config = `region: us-east-1
aws: { endpoint: ${moto.url}, maxAttempts: 2, requestTimeout: 10s }
protectedEnvironments: [prod]
collectIncident:
  include: [${o.include ?? "aws, postgres, hosts"}]
  logGroups: ["/app/{service}", "/aws/ecs/{service}-*"]
  postgres: { dsn: env:INCIDENT_PG_DSN, longTransaction: 1s }
  hosts:
    files: [{ path: ${log}, filter: time }]
    commands: [${o.commands ?? "{ name: uname, argv: [uname, -s] }"}]
`;
  writeFileSync(join(ws.dir, "opsctl.config.yaml"), config);
  return { dir: ws.dir, env: { ...ws.env, INCIDENT_PG_DSN: o.dsn ?? PG, USER: "oncall" } };
}

const COLLECT = ["collect-incident", "--environment", "staging", "--service", "checkout", "--since", "1h"];

function extract(dir: string, bundle: string): string {
  const out = join(dir, `x-${Math.random().toString(36).slice(2)}`);
  mkdirSync(out);
  execFileSync("tar", ["-xzf", bundle, "-C", out]);
  return out;
}
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const bundles = (dir: string) => readdirSync(dir).filter((f) => f.includes(".tar.gz"));
const allText = (root: string): string =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");

describe("collect-incident (compiled binary)", () => {
  test("dry run: the plan with every collector's bounded reads and passed probes, exit 10, no bundle written", async () => {
    const { dir, env } = setup();
    const r = await runBin([...COLLECT, "--dry-run", "--format", "json", "--out", "plan.json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.json.mode).toBe("dry-run");
    expect(r.json.plan.actions.map((a: { id: string }) => a.id)).toEqual(["collect:aws", "collect:postgres", "collect:hosts"]);
    const aws = r.json.plan.actions[0];
    expect(aws.reason.evidence.reads.join("\n")).toContain("logs FilterLogEvents");
    expect(aws.call.parameters.reads.map((x: { target: string }) => x.target)).toContain("/app/checkout");
    const checks = r.json.plan.actions.flatMap((a: { checks: { status: string }[] }) => a.checks);
    expect(checks.length).toBeGreaterThan(5);
    expect(checks.every((c: { status: string }) => c.status === "passed")).toBe(true);
    expect(bundles(dir)).toEqual([]);
    for (const out of [r.stdout, r.stderr, readFileSync(join(dir, "plan.json"), "utf8")]) expect(out).not.toContain(PG_PASSWORD);
    const text = await runBin(["collect-incident", "--environment", "staging", "--service", "checkout", "--since", "1h", "--dry-run"], { cwd: dir, env });
    expect(text.code).toBe(10);
    expect(text.stdout).toContain("collect-incident — dry run — environment=staging region=us-east-1");
    expect(text.stdout).toMatch(/collect\s+postgres\s+127\.0\.0\.1:\d+\/opsctl/);
  });

  test("a normal bundle: contents, the window, every hash, 0600, the digest on stdout, no canary secret anywhere, pseudonyms consistent", async () => {
    const { dir, env } = setup();
    const r = await runBin([...COLLECT, "--bundle", "evidence.tar.gz", "--format", "json"], { cwd: dir, env });
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const bundle = join(dir, "evidence.tar.gz");
    expect(r.json.result.outputs.bundle).toBe(bundle);
    expect(r.json.result.outputs.digest).toBe(`sha256:${sha(readFileSync(bundle))}`);
    expect(statSync(bundle).mode & 0o777).toBe(0o600);
    expect(r.json.result.actions.map((a: { status: string }) => a.status)).toEqual(["applied", "applied", "applied"]);

    const x = extract(dir, bundle);
    const manifest = JSON.parse(readFileSync(join(x, "manifest.json"), "utf8"));
    expect(manifest.schema).toBe("opsctl.incident-bundle/v1");
    expect(manifest.collectedBy).toMatchObject({
      aws: expect.stringMatching(/^arn:aws:/),
      postgres: "opsctl@opsctl",
      hosts: expect.stringMatching(/^oncall@/),
    });
    expect(manifest.commandLine).toContain("opsctl collect-incident --environment staging --service checkout --since 1h");
    expect(manifest.opsctl.version).toBe(r.json.version);
    for (const f of manifest.files) {
      const data = readFileSync(join(x, f.path));
      expect([f.path, sha(data), data.length]).toEqual([f.path, f.sha256, f.bytes]);
      expect(statSync(join(x, f.path)).mode & 0o777).toBe(0o600);
    }
    const paths = manifest.files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "aws/ec2-instances.jsonl",
        "aws/ec2-volumes.jsonl",
        "aws/autoscaling-groups.jsonl",
        "aws/logs/app/checkout.log",
        "aws/logs/aws/ecs/checkout-worker.log",
        "postgres/pg_stat_activity.jsonl",
        "postgres/pg_locks.jsonl",
        "postgres/blocking-chains.json",
        "postgres/replication.jsonl",
        "postgres/long-transactions.jsonl",
        "hosts/commands/uname.txt",
      ]),
    );
    const read = (p: string) => readFileSync(join(x, p), "utf8");
    expect(read("aws/ec2-instances.jsonl")).toContain(seed.instanceId);
    expect(read("aws/ec2-instances.jsonl")).not.toContain(seed.otherInstanceId);
    expect(manifest.files.find((f: { path: string }) => f.path === "aws/ec2-instances.jsonl").requestIds.length).toBeGreaterThan(0);
    // The window: events and lines before it are absent, those inside present.
    const logs = read("aws/logs/app/checkout.log");
    expect(logs).toContain("/app/checkout event inside the window");
    expect(logs).not.toContain("before the window");
    const hostFile = paths.find((p: string) => p.startsWith("hosts/files/")) as string;
    expect(read(hostFile)).toContain("inside the window: request 2");
    expect(read(hostFile)).not.toContain("before the window");
    expect(JSON.parse(read("postgres/blocking-chains.json"))).toContainEqual({ root: chain.pids.a, chain: [chain.pids.a, chain.pids.b] });
    // Canaries: in a log group, a host log, a DSN in a running query, the configured DSN.
    const everything = `${allText(x)}\n${r.stdout}\n${r.stderr}`;
    for (const canary of [CANARY_KEY, CANARY_TOKEN, CANARY_DSN_PW, PG_PASSWORD]) expect(everything).not.toContain(canary);
    const pseudonymIn = (text: string) => /aws_secret_access_key=(\[redacted:[0-9a-f]{12}\])/.exec(text)?.[1];
    expect(pseudonymIn(logs)).toBeDefined();
    expect(pseudonymIn(read(hostFile))).toBe(pseudonymIn(logs));
    expect(manifest.files.find((f: { path: string }) => f.path === hostFile).redactions).toEqual({ authorization: 1, "aws-secret-key": 1 });

    const v = await runBin(["collect-incident", "--verify", "evidence.tar.gz"], { cwd: dir, env });
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`bundle digest ${r.json.result.outputs.digest}`);
    expect(v.stdout).toContain(`${manifest.files.length} of ${manifest.files.length} file(s) match the manifest; 0 problem(s).`);
  });

  test("--max-bytes: each collector's share is honoured and the cut is recorded; exit 5", async () => {
    const { dir, env } = setup({ include: "aws, hosts" });
    await moto.reset();
    seed = await seedIncidentAws(moto.url, { service: "checkout", now, canary: CANARY_KEY, bulkLines: 200 });
    const r = await runBin([...COLLECT, "--max-bytes", "16K", "--bundle", "cut.tar.gz", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(5);
    expect(r.json.exit.name).toBe("partial");
    const aws = r.json.result.actions.find((a: { resource: string }) => a.resource === "aws");
    expect(aws.status).toBe("partial");
    expect(aws.detail).toContain("max-bytes share of 8 KiB for aws");
    const x = extract(dir, join(dir, "cut.tar.gz"));
    const manifest = JSON.parse(readFileSync(join(x, "manifest.json"), "utf8"));
    const collector = manifest.collectors.find((c: { name: string }) => c.name === "aws");
    expect(collector).toMatchObject({ status: "truncated", shareBytes: 8192 });
    expect(collector.bytes).toBeLessThanOrEqual(8192);
    const cut = manifest.files.filter((f: { truncated?: unknown }) => f.truncated);
    expect(cut.length).toBeGreaterThan(0);
    expect(cut[0].truncated.reason).toMatch(/max-bytes share/);
    expect((await runBin(["collect-incident", "--verify", "cut.tar.gz"], { cwd: dir, env })).code).toBe(0);
  });

  test("a collector denied at read time: the others are still collected, the failure recorded, exit 5", async () => {
    await deniedDatabase(peers().PG_ADMIN_URL as string, "incident_e2e_denied", [
      "pg_stat_activity",
      "pg_locks",
      "pg_stat_replication",
      "pg_replication_slots",
    ]);
    const { dir, env } = setup({ dsn: PG.replace(/\/opsctl$/, "/incident_e2e_denied") });
    const r = await runBin([...COLLECT, "--bundle", "denied.tar.gz", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(5);
    const pg = r.json.result.actions.find((a: { resource: string }) => a.resource === "postgres");
    expect(pg.status).toBe("failed");
    expect(pg.error.message).toContain("42501");
    expect(r.json.result.actions.filter((a: { status: string }) => a.status === "applied").map((a: { resource: string }) => a.resource)).toEqual([
      "aws",
      "hosts",
    ]);
    const x = extract(dir, join(dir, "denied.tar.gz"));
    const manifest = JSON.parse(readFileSync(join(x, "manifest.json"), "utf8"));
    expect(manifest.collectors.find((c: { name: string }) => c.name === "postgres")).toMatchObject({ status: "failed", files: 0 });
    expect(manifest.collectors.find((c: { name: string }) => c.name === "postgres").failures[0]).toMatchObject({ class: "auth", code: "42501" });
    expect(manifest.files.some((f: { collector: string }) => f.collector === "aws")).toBe(true);
  });

  test("rejected PostgreSQL credentials: that collector fails (no password in any message), the others are collected; exit 5", async () => {
    const { dir, env } = setup({ dsn: PG.replace(`:${PG_PASSWORD}@`, ":wrong-pw-canary-11@") });
    const r = await runBin([...COLLECT, "--bundle", "badpw.tar.gz"], { cwd: dir, env });
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/failed\s+collect\s+postgres\s+remote: .*28P01/);
    expect(`${r.stdout}${r.stderr}`).not.toContain("wrong-pw-canary-11");
    expect(existsSync(join(dir, "badpw.tar.gz"))).toBe(true);
  });

  test("a permission probe that fails stops the run before reading: exit 3, no bundle", async () => {
    const { dir, env } = setup({ commands: "{ name: tool, argv: [no-such-incident-tool] }" });
    const r = await runBin([...COLLECT], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("run tool: no-such-incident-tool is not an executable on PATH");
    expect(bundles(dir)).toEqual([]);
  });

  test("nothing could be collected: exit 4 and no bundle", async () => {
    const { dir, env } = setup({ include: "postgres", dsn: "postgres://u:p-unused@127.0.0.1:1/x" });
    const r = await runBin([...COLLECT, "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.json.result.outputs.bundle).toBe("not written: nothing was collected");
    expect(bundles(dir)).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.includes("partial"))).toEqual([]);
  });

  test("--verify on a tampered bundle names the file, exit 3; bad --verify input is exit 2", async () => {
    const { dir, env } = setup({ include: "hosts" });
    expect((await runBin([...COLLECT, "--bundle", "b.tar.gz"], { cwd: dir, env })).code).toBe(0);
    const tar = Buffer.from(gunzipSync(readFileSync(join(dir, "b.tar.gz"))));
    const at = tar.indexOf(Buffer.from("inside the window: request 2"));
    tar[at] = "I".charCodeAt(0);
    writeFileSync(join(dir, "tampered.tar.gz"), gzipSync(tar));
    const r = await runBin(["collect-incident", "--verify", "tampered.tar.gz"], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: .*app\.log: hash-mismatch \(manifest sha256 [0-9a-f]{64}, bundle [0-9a-f]{64}\)/);
    expect(r.stdout).toContain("problem(s)");
    const j = await runBin(["collect-incident", "--verify", "tampered.tar.gz", "--format", "json"], { cwd: dir, env });
    expect(j.json.exit).toEqual({ code: 3, name: "validation" });
    expect(j.json.errors[0].resource).toMatch(/^hosts\/files\/.*app\.log$/);
    const missing = await runBin(["collect-incident", "--verify", "nope.tar.gz"], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read bundle");
    const notBundle = await runBin(["collect-incident", "--verify", "opsctl.config.yaml"], { cwd: dir, env });
    expect(notBundle.code).toBe(3);
    expect(notBundle.stderr).toContain("not a readable bundle");
    const mixed = await runBin(["collect-incident", "--verify", "b.tar.gz", "--environment", "staging"], { cwd: dir, env });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("--environment");
  });

  test("SIGINT while collecting: exit 130, no bundle under the final name and no temporary file left", async () => {
    const { dir, env } = setup({ include: "hosts", commands: "{ name: slow, argv: [sleep, '30'], timeout: 60s }" });
    const r = await runBin([...COLLECT, "--bundle", "int.tar.gz"], {
      cwd: dir,
      env,
      during: async (proc) => {
        for (let i = 0; i < 200 && !readdirSync(dir).some((f) => f.includes(".partial-")); i++) await Bun.sleep(50);
        expect(readdirSync(dir).some((f) => f.startsWith(".int.tar.gz.partial-"))).toBe(true);
        proc.kill("SIGINT");
      },
    });
    expect(r.code).toBe(130);
    expect(existsSync(join(dir, "int.tar.gz"))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("int.tar.gz"))).toEqual([]);
    expect(r.stdout).toContain("not written (interrupted)");
  });

  test("bad input: window, size, collector, existing bundle, unknown flag: exit 2 naming the flag; nothing contacted", async () => {
    const { dir, env } = setup();
    const cases: [string[], string][] = [
      [["collect-incident", "--environment", "staging", "--since", "soon"], "--since 'soon' is not a duration before now"],
      [["collect-incident", "--environment", "staging", "--since", "1h", "--until", "2h"], "the window is empty"],
      [["collect-incident", "--environment", "staging", "--since", "2026-12-01T10:00:00"], "RFC 3339"],
      [[...COLLECT, "--max-bytes", "12X"], "--max-bytes"],
      [[...COLLECT, "--include", "k8s,logs"], "--include: must be collector names kubernetes (k8s), aws, postgres, hosts, comma-separated, got 'k8s,logs'"],
      [[...COLLECT, "--bundle", "opsctl.config.yaml"], "already exists"],
      [[...COLLECT, "--sinse", "1h"], "--sinse"],
      [["collect-incident", "--environment", "staging"], "--since"],
    ];
    for (const [args, message] of cases) {
      const r = await runBin(args, { cwd: dir, env });
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe("");
    }
    expect(bundles(dir)).toEqual([]);
  });

  test("a protected environment needs no --yes (read-only) and no lock is taken", async () => {
    const { dir, env } = setup({ include: "hosts" });
    const r = await runBin(["collect-incident", "--environment", "prod", "--since", "1h", "--bundle", "p.tar.gz"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, "p.tar.gz"))).toBe(true);
    const locks = await runBin(["lock", "list", "--format", "json"], { cwd: dir, env });
    expect(JSON.stringify(locks.json.result)).not.toContain("collect-incident");
  });
});
