// `npm run bench`: start-up, scale and apply-throughput benchmarks of the compiled opsctl
// beside a bare Bun binary, the AWS CLI and Cloud Custodian; writes docs/benchmarks.md and
// docs/benchmarks.svg. Never part of `npm test` (slow, and timing on CI is noise).
//
//   bun scripts/bench/index.ts [--sizes 1000,10000,50000] [--runs 3] [--startup-runs 15] [--apply-n 1000]
//                              [--apply-runs 1] [--throttle-n 1000] [--port P] [--quick]
//                              [--sections startup,scale,apply,throttle]
//
// Results are saved after each section to .bench/results-<port>.json, so a long run that is
// stopped keeps what it measured; scripts/bench/merge.ts renders the report from saved parts.
//
// Every tool talks to moto through the fault proxy (test/support/fault-proxy.ts), which pages
// DescribeVolumes as EC2 does (moto ignores MaxResults) and counts each tool's API calls per
// operation; the throttling section also makes it enforce EC2's published buckets.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { FaultProxy } from "../../test/support/fault-proxy.ts";
import { tempRepo } from "../../test/support/tmp.ts";
import { startFakeEc2 } from "./FAKE-ec2-endpoint.ts";
import { interleaved, type RunSpec, runOnce, type Summary, summarise } from "./measure.ts";
import { type BenchResults, writeReport } from "./report.ts";
import { seedSpecs, seedVolumes } from "./seed.ts";
import { BENCH, prepareTools, ROOT, startMoto } from "./tools.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] as string) : dflt;
};
const quick = args.includes("--quick");
const sizes = opt("sizes", quick ? "200,1000" : "1000,10000,50000")
  .split(",")
  .map(Number);
const runs = Number(opt("runs", quick ? "1" : "3"));
const startupRuns = Number(opt("startup-runs", quick ? "3" : "15"));
const applyN = Number(opt("apply-n", quick ? "100" : "1000"));
const applyRuns = Number(opt("apply-runs", "1"));
const throttleN = Number(opt("throttle-n", quick ? "150" : "1000"));
// Shifted like the test servers (scripts/peers.sh), so benches of several worktrees never collide.
const port = Number(opt("port", String(25690 + Number(process.env.OPSCTL_PEERS_PORT_OFFSET ?? 0))));
const benchStarted = performance.now();
const log = (m: string) => console.error(`[bench ${((performance.now() - benchStarted) / 1000).toFixed(0).padStart(4)}s] ${m}`);
/** An account whose limits AWS raised far beyond what a bench run sends (section 3 measures the executor alone). */
const RAISED_BUCKETS = [
  "  apiBudget:",
  "    share: 1",
  "    operations:",
  '      "ec2:DeleteVolume": { capacity: 1000000, refillPerSecond: 1000000 }',
  '      "ec2:DescribeVolumes": { capacity: 1000000, refillPerSecond: 1000000 }',
  "",
].join("\n");
const CREDS = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1", AWS_DEFAULT_REGION: "us-east-1" };

const sections = new Set(opt("sections", "startup,scale,apply,throttle").split(","));
const tools = prepareTools(log, port);
// Per port: two benches on one machine never share the file their moto reads ages from.
const ageFile = join(BENCH, `age-${port}`);
const resultsFile = join(BENCH, `results-${port}.json`);
const save = () => writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
const moto = await startMoto(port, ageFile, log);
const results: BenchResults = {
  date: new Date().toISOString(),
  commit: Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: ROOT }).stdout.toString().trim(),
  machine: machine(),
  versions: tools.versions,
  quick,
  startup: {},
  scale: [],
  seeding: [],
  apply: [],
  throttle: [],
  executorFake: [],
  load: [],
};
// The machine is shared: the 1-minute load average every 10 s, by section, goes into the report.
let section = "setup";
const sampleLoad = () => results.load?.push({ section, atS: Math.round((performance.now() - benchStarted) / 1000), load1: loadavg()[0] as number });
sampleLoad();
const loadTimer = setInterval(sampleLoad, 10_000);

try {
  /** A repository for opsctl: config pointing at an endpoint, isolated HOME/XDG. */
  const workspace = (endpoint: string, awsExtra = "") => {
    const dir = tempRepo({
      "opsctl.config.yaml": `region: us-east-1\naws:\n  endpoint: ${endpoint}\n  maxAttempts: 3\n  requestTimeout: 600s\n${awsExtra}guardrails:\n  maxDeletions: 100000000\n`,
    });
    mkdirSync(join(dir, "home"), { recursive: true });
    const env = { ...CREDS, HOME: join(dir, "home"), XDG_CONFIG_HOME: join(dir, "home", ".config"), XDG_STATE_HOME: join(dir, "home", ".state") };
    return { dir, env };
  };

  // 1. Start-up
  const ws = workspace(moto.url);
  const pyEnv = { ...CREDS, HOME: join(ws.dir, "home") };
  section = "startup";
  if (sections.has("startup")) log(`start-up: ${startupRuns} runs each`);
  if (sections.has("startup"))
    results.startup = await interleaved(
      {
        "bun hello (floor)": { cmd: [tools.hello] },
        "opsctl --version": { cmd: [tools.opsctl, "--version"] },
        "opsctl --help": { cmd: [tools.opsctl, "--help"] },
        "opsctl exit-codes --format json": { cmd: [tools.opsctl, "exit-codes", "--format", "json"] },
        "opsctl cleanup-volumes --show-config": {
          cmd: [tools.opsctl, "cleanup-volumes", "--environment", "staging", "--show-config"],
          cwd: ws.dir,
          env: ws.env,
        },
        "aws --version": { cmd: [tools.aws, "--version"], env: pyEnv },
        "custodian version": { cmd: [tools.custodian, "version"], env: pyEnv },
      },
      startupRuns,
    );
  save();

  // 2. Scale
  section = "scale";
  const policy = join(BENCH, "policy.yml");
  writeFileSync(
    policy,
    [
      "policies:",
      "  - name: unused-staging-volumes",
      "    resource: ebs",
      "    filters:",
      "      - State: available",
      '      - "tag:Environment": staging',
      "      - type: value",
      "        key: CreateTime",
      "        value_type: age",
      "        op: greater-than",
      "        value: 30",
      "      - not:",
      '          - "tag:opsctl:protect": "true"',
      "",
    ].join("\n"),
  );
  const all = seedSpecs(Math.max(...sizes));
  let seeded = 0;
  for (const n of sections.has("scale") ? sizes : []) {
    log(`seeding ${seeded} → ${n} volumes`);
    const s = await seedVolumes(moto.url, ageFile, all.slice(seeded, n), 16);
    results.seeding.push({ from: seeded, to: n, ms: s.ms, callsPerSecond: s.callsPerSecond });
    log(`seeded in ${(s.ms / 1000).toFixed(1)} s (${s.callsPerSecond} calls/s)`);
    seeded = n;
    const expected = all
      .slice(0, n)
      .map((v, i) => ({ v, i }))
      .filter(({ v }) => v.env === "staging" && !v.attached && v.ageDays > 30 && !v.protect).length;

    const out = (tool: string) => join(BENCH, `out-${tool}-${n}.json`);
    // One paging proxy per tool: the same EC2-like endpoint for all three, and per-tool call counts.
    const proxies = Object.fromEntries(
      await Promise.all(
        ["opsctl", "custodian", "aws cli"].map(async (t) => {
          const p = await new FaultProxy(moto.url).start();
          p.pageDescribeVolumes = 1000;
          return [t, p] as const;
        }),
      ),
    ) as Record<string, FaultProxy>;
    const pws = workspace((proxies.opsctl as FaultProxy).url);
    const custodianOut = join(BENCH, `custodian-${n}`);
    rmSync(custodianOut, { recursive: true, force: true });
    const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const specs: Record<string, RunSpec> = {
      opsctl: {
        cmd: [tools.opsctl, "cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"],
        cwd: pws.dir,
        env: pws.env,
        stdoutFile: out("opsctl"),
        okCodes: [10],
      },
      custodian: {
        cmd: [tools.custodian, "run", "--dryrun", "--cache-period", "0", "--region", "us-east-1", "-s", custodianOut, policy],
        env: { ...pyEnv, AWS_ENDPOINT_URL: (proxies.custodian as FaultProxy).url },
      },
      "aws cli": {
        cmd: [
          tools.aws,
          "ec2",
          "describe-volumes",
          "--endpoint-url",
          (proxies["aws cli"] as FaultProxy).url,
          "--region",
          "us-east-1",
          "--filters",
          "Name=status,Values=available",
          "Name=tag:Environment,Values=staging",
          "--query",
          `Volumes[?CreateTime<='${cutoff}'].VolumeId`,
          "--output",
          "json",
        ],
        env: pyEnv,
        stdoutFile: out("aws"),
      },
    };
    log(`scale N=${n}: ${runs} run(s) of each tool (expect ${expected} candidates)`);
    const failures: Record<string, string> = {};
    const timed = await interleaved(specs, runs, 0, (tool, e) => {
      failures[tool] = (e.message.split("\n").find((l) => /Error|error/.test(l)) ?? e.message).slice(0, 300);
      log(`N=${n}: ${tool} failed: ${failures[tool]}`);
    });
    for (const p of Object.values(proxies)) p.stop();
    // Calls per run, per operation, as the endpoint saw them (DryRuns apart).
    const apiCalls = Object.fromEntries(Object.entries(proxies).map(([t, p]) => [t, callsPerOperation(p, runs)]));
    const opsIds = (JSON.parse(readFileSync(out("opsctl"), "utf8")).plan.actions as { resource: { id: string } }[]).map((a) => a.resource.id).sort();
    const cusFile = join(custodianOut, "unused-staging-volumes", "resources.json");
    const cusIds = timed.custodian ? (JSON.parse(readFileSync(cusFile, "utf8")) as { VolumeId: string }[]).map((v) => v.VolumeId).sort() : [];
    const awsIds = timed["aws cli"] ? (JSON.parse(readFileSync(out("aws"), "utf8")) as string[]).length : 0;
    const same = opsIds.length === cusIds.length && opsIds.every((id, i) => id === cusIds[i]);
    const opsctlOwn = JSON.parse(readFileSync(out("opsctl"), "utf8")).apiCalls;
    results.scale.push({
      n,
      tools: timed,
      opsctlIds: opsIds.length,
      custodianIds: cusIds.length,
      awsIds,
      expected,
      same,
      apiCalls,
      opsctlApiCalls: opsctlOwn,
      ...(Object.keys(failures).length ? { failures } : {}),
    });
    log(`N=${n}: API calls per run: ${JSON.stringify(apiCalls)}`);
    log(`N=${n}: opsctl ${fmt(timed.opsctl)} · custodian ${fmt(timed.custodian)} · aws ${fmt(timed["aws cli"])} · same ids: ${same}`);
    save();
  }

  // 3. Apply throughput under 20 ms of latency per call
  section = "apply";
  const ec2 = new EC2Client({ endpoint: moto.url, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  // The last row (no added latency) shows what moto itself can take: a single Python process.
  for (const [concurrency, latency] of sections.has("apply")
    ? ([
        [1, 20],
        [4, 20],
        [16, 20],
        [16, 0],
      ] as const)
    : []) {
    const samples = [];
    const phases: number[] = [];
    let calls: Record<string, number> = {};
    for (let r = 0; r < applyRuns; r++) {
      await fetch(`${moto.url}/moto-api/reset`, { method: "POST" });
      const specs = Array.from({ length: applyN }, () => ({ env: "staging" as const, ageDays: 90, attached: false, protect: false, team: "data" }));
      await seedVolumes(moto.url, ageFile, specs, 16);
      const proxy = await new FaultProxy(moto.url).start();
      proxy.rules = latency ? [{ operation: "*", dryRun: "any", fault: { kind: "delay", ms: latency } }] : [];
      try {
        // This section measures the executor, not the API budget: opsctl is told the account's
        // buckets were raised far beyond the calls made (section 4 measures the budget).
        const pws = workspace(proxy.url, RAISED_BUCKETS);
        samples.push(
          await runOnce({
            cmd: [tools.opsctl, "cleanup-volumes", "--environment", "staging", "--concurrency", String(concurrency), "--format", "json"],
            cwd: pws.dir,
            env: pws.env,
            stdoutFile: join(BENCH, `out-apply-${port}.json`),
          }),
        );
        calls = callsPerOperation(proxy, 1);
        const firstLive = proxy.seen.find((s) => s.operation === "DescribeVolumes" && s.body.includes("volume-id"));
        const deletes = proxy.seen.filter((s) => s.operation === "DeleteVolume" && !s.dryRun);
        if (deletes.length !== applyN) throw new Error(`expected ${applyN} deletes, the proxy saw ${deletes.length}`);
        phases.push((deletes.at(-1)?.at ?? 0) - (firstLive?.at ?? 0));
      } finally {
        proxy.stop();
      }
      const left = await ec2.send(new DescribeVolumesCommand({}));
      if (left.Volumes?.length) throw new Error(`${left.Volumes.length} volume(s) left after the apply`);
    }
    const s = summarise(samples);
    const executorMs = phases.sort((a, b) => a - b)[Math.floor(phases.length / 2)] as number;
    results.apply.push({ concurrency, latencyMs: latency, n: applyN, ...s, executorMs, apiCalls: calls });
    log(`apply ${applyN} with --concurrency ${concurrency}, ${latency} ms latency: ${fmt(s)}, executor phase ${(executorMs / 1000).toFixed(2)} s`);
    save();
  }
  // 3b. The executor alone: the same applies against an in-memory EC2 endpoint (FAKE) that
  // answers every call after 20 ms, so the wall time is opsctl's own and not moto's rate.
  for (const concurrency of sections.has("apply") ? [1, 16] : []) {
    const fake = startFakeEc2(applyN, 90, 20);
    try {
      const pws = workspace(fake.url, RAISED_BUCKETS);
      const s = await runOnce({
        cmd: [tools.opsctl, "cleanup-volumes", "--environment", "staging", "--concurrency", String(concurrency), "--format", "json"],
        cwd: pws.dir,
        env: pws.env,
        stdoutFile: join(BENCH, `out-apply-fake-${port}.json`),
      });
      if (fake.left() !== 0) throw new Error(`${fake.left()} volume(s) left on the in-memory endpoint after the apply`);
      results.executorFake?.push({ concurrency, latencyMs: 20, n: applyN, ...summarise([s]) });
      log(`apply ${applyN} against the in-memory endpoint (FAKE), --concurrency ${concurrency}, 20 ms: ${fmt(summarise([s]))}`);
    } finally {
      fake.stop();
    }
    save();
  }
  // 4. Simulated throttling: the proxy enforces EC2's published buckets (DeleteVolume 100
  // tokens refilled at 5/s, DescribeVolumes 100/20 or 50/10 unfiltered), answering
  // RequestLimitExceeded when one is empty; opsctl applies throttleN deletions with its
  // default share (half of each bucket) and with the whole bucket; then Custodian deletes the
  // same set through the same proxy.
  const deletePolicy = join(BENCH, "policy-delete.yml");
  writeFileSync(deletePolicy, `${readFileSync(policy, "utf8").replace("unused-staging-volumes", "delete-staging-volumes")}    actions:\n      - delete\n`);
  const throttleRuns: { tool: string; share: number; cmd: (url: string) => RunSpec }[] = [
    ...[0.5, 1].map((share) => ({
      tool: "opsctl",
      share,
      cmd: (url: string) => {
        const w = workspace(url, `  apiBudget:\n    share: ${share}\n`);
        return {
          cmd: [tools.opsctl, "cleanup-volumes", "--environment", "staging", "--concurrency", "16", "--format", "json"],
          cwd: w.dir,
          env: w.env,
          stdoutFile: join(BENCH, `out-throttle-${share}-${port}.json`),
        };
      },
    })),
    {
      tool: "custodian",
      share: 1,
      cmd: (url: string) => ({
        cmd: [tools.custodian, "run", "--cache-period", "0", "--region", "us-east-1", "-s", join(BENCH, `custodian-delete-${port}`), deletePolicy],
        env: { ...pyEnv, AWS_ENDPOINT_URL: url },
        okCodes: [0, 1],
      }),
    },
  ];
  section = "throttle";
  for (const t of sections.has("throttle") ? throttleRuns : []) {
    await fetch(`${moto.url}/moto-api/reset`, { method: "POST" });
    const specs = Array.from({ length: throttleN }, () => ({ env: "staging" as const, ageDays: 90, attached: false, protect: false, team: "data" }));
    await seedVolumes(moto.url, ageFile, specs, 16);
    const proxy = (await new FaultProxy(moto.url).start()).enforceBuckets();
    proxy.pageDescribeVolumes = 1000;
    try {
      log(`throttled apply of ${throttleN}: ${t.tool}, share ${t.share}`);
      const sample = await runOnce(t.cmd(proxy.url));
      const del = proxy.seen.filter((x) => x.operation === "DeleteVolume");
      const granted = del.filter((x) => x.fault !== "throttled");
      const spanMs = (granted.at(-1)?.at ?? 0) - (granted[0]?.at ?? 0);
      // The fastest any client could make these DeleteVolume calls (DryRuns included) with
      // this share of the bucket: the share of its capacity at once, then its refill rate.
      const capacity = Math.max(1, 100 * t.share);
      const minimumMs = (Math.max(0, granted.length - capacity) / (5 * t.share)) * 1000;
      const left = await ec2.send(new DescribeVolumesCommand({}));
      results.throttle.push({
        tool: t.tool,
        share: t.share,
        n: throttleN,
        ...summarise([sample]),
        deleteCalls: granted.length,
        dryRunCalls: granted.filter((x) => x.dryRun).length,
        throttled: proxy.throttled,
        spanMs,
        minimumMs,
        left: left.Volumes?.length ?? 0,
        apiCalls: callsPerOperation(proxy, 1),
      });
      save();
      log(
        `  ${t.tool} share ${t.share}: ${fmt(summarise([sample]))}; ${proxy.throttled} RequestLimitExceeded; span ${(spanMs / 1000).toFixed(1)} s vs minimum ${(minimumMs / 1000).toFixed(1)} s; ${left.Volumes?.length ?? 0} left`,
      );
    } finally {
      proxy.stop();
    }
  }
} finally {
  clearInterval(loadTimer);
  moto.stop();
}

save();
await writeReport(results, join(ROOT, "docs"), join(BENCH, "results.json"));
log(`wrote docs/benchmarks.md and docs/benchmarks.svg in ${((performance.now() - benchStarted) / 60000).toFixed(1)} min`);

/** Calls per run and operation as the proxy saw them; DryRuns as "Op (DryRun)", throttled answers as "Op (throttled)". */
function callsPerOperation(proxy: FaultProxy, runsSeen: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of proxy.seen) {
    const key = `${x.operation}${x.dryRun ? " (DryRun)" : ""}${x.fault === "throttled" ? " (throttled)" : ""}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  for (const k of Object.keys(out)) out[k] = Math.round((out[k] as number) / runsSeen);
  return out;
}

function fmt(s: Summary | undefined): string {
  return s ? `${(s.wallMs / 1000).toFixed(2)} s, cpu ${(s.cpuMs / 1000).toFixed(2)} s, ${s.rssMB.toFixed(0)} MB` : "-";
}

function machine(): string {
  const os = require("node:os") as typeof import("node:os");
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()} (${process.arch})`;
}
