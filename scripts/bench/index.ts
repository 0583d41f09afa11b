// `npm run bench`: start-up, scale and apply-throughput benchmarks of the compiled opsctl
// beside a bare Bun binary, the AWS CLI and Cloud Custodian; writes docs/benchmarks.md and
// docs/benchmarks.svg. Never part of `npm test` (slow, and timing on CI is noise).
//
//   bun scripts/bench/index.ts [--sizes 1000,10000,50000] [--runs 3] [--startup-runs 15] [--quick]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { FaultProxy } from "../../test/support/fault-proxy.ts";
import { tempRepo } from "../../test/support/tmp.ts";
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
const port = Number(opt("port", "25690"));
const benchStarted = performance.now();
const log = (m: string) => console.error(`[bench ${((performance.now() - benchStarted) / 1000).toFixed(0).padStart(4)}s] ${m}`);
const CREDS = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1", AWS_DEFAULT_REGION: "us-east-1" };

const tools = prepareTools(log);
const ageFile = join(BENCH, "age");
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
};

try {
  /** A repository for opsctl: config pointing at an endpoint, isolated HOME/XDG. */
  const workspace = (endpoint: string) => {
    const dir = tempRepo({
      "opsctl.config.yaml": `region: us-east-1\naws:\n  endpoint: ${endpoint}\n  maxAttempts: 3\n  requestTimeout: 600s\nguardrails:\n  maxDeletions: 100000000\n`,
    });
    mkdirSync(join(dir, "home"), { recursive: true });
    const env = { ...CREDS, HOME: join(dir, "home"), XDG_CONFIG_HOME: join(dir, "home", ".config"), XDG_STATE_HOME: join(dir, "home", ".state") };
    return { dir, env };
  };

  // 1. Start-up
  log(`start-up: ${startupRuns} runs each`);
  const ws = workspace(moto.url);
  const pyEnv = { ...CREDS, HOME: join(ws.dir, "home") };
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

  // 2. Scale
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
  for (const n of sizes) {
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
    const custodianOut = join(BENCH, `custodian-${n}`);
    rmSync(custodianOut, { recursive: true, force: true });
    const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const specs: Record<string, RunSpec> = {
      opsctl: {
        cmd: [tools.opsctl, "cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"],
        cwd: ws.dir,
        env: ws.env,
        stdoutFile: out("opsctl"),
        okCodes: [10],
      },
      custodian: {
        cmd: [tools.custodian, "run", "--dryrun", "--cache-period", "0", "--region", "us-east-1", "-s", custodianOut, policy],
        env: { ...pyEnv, AWS_ENDPOINT_URL: moto.url },
      },
      "aws cli": {
        cmd: [
          tools.aws,
          "ec2",
          "describe-volumes",
          "--endpoint-url",
          moto.url,
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
    const timed = await interleaved(specs, runs, 0);
    const opsIds = (JSON.parse(readFileSync(out("opsctl"), "utf8")).plan.actions as { resource: { id: string } }[]).map((a) => a.resource.id).sort();
    const cusIds = (JSON.parse(readFileSync(join(custodianOut, "unused-staging-volumes", "resources.json"), "utf8")) as { VolumeId: string }[])
      .map((v) => v.VolumeId)
      .sort();
    const awsIds = (JSON.parse(readFileSync(out("aws"), "utf8")) as string[]).length;
    const same = opsIds.length === cusIds.length && opsIds.every((id, i) => id === cusIds[i]);
    const phases = await opsctlPhases(tools.opsctl, workspace);
    results.scale.push({ n, tools: timed, opsctlIds: opsIds.length, custodianIds: cusIds.length, awsIds, expected, same, phases });
    log(
      `N=${n}: opsctl phases: discovery ${(phases.discoveryMs / 1000).toFixed(2)} s, validation ${(phases.validationMs / 1000).toFixed(2)} s (${phases.dryRunCalls} DryRun calls)`,
    );
    log(`N=${n}: opsctl ${fmt(timed.opsctl)} · custodian ${fmt(timed.custodian)} · aws ${fmt(timed["aws cli"])} · same ids: ${same}`);
  }

  // 3. Apply throughput under 20 ms of latency per call
  const ec2 = new EC2Client({ endpoint: moto.url, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  // The last row (no added latency) shows what moto itself can take: a single Python process.
  for (const [concurrency, latency] of [
    [1, 20],
    [4, 20],
    [16, 20],
    [16, 0],
  ] as const) {
    const samples = [];
    const phases: number[] = [];
    for (let r = 0; r < runs; r++) {
      await fetch(`${moto.url}/moto-api/reset`, { method: "POST" });
      const specs = Array.from({ length: applyN }, () => ({ env: "staging" as const, ageDays: 90, attached: false, protect: false, team: "data" }));
      await seedVolumes(moto.url, ageFile, specs, 16);
      const proxy = await new FaultProxy(moto.url).start();
      proxy.rules = latency ? [{ operation: "*", dryRun: "any", fault: { kind: "delay", ms: latency } }] : [];
      try {
        const pws = workspace(proxy.url);
        samples.push(
          await runOnce({
            cmd: [tools.opsctl, "cleanup-volumes", "--environment", "staging", "--concurrency", String(concurrency), "--format", "json"],
            cwd: pws.dir,
            env: pws.env,
          }),
        );
        const firstLive = proxy.seen.find((s) => s.operation === "DescribeVolumes" && s.body.includes("VolumeId.1="));
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
    results.apply.push({ concurrency, latencyMs: latency, n: applyN, ...s, executorMs });
    log(`apply ${applyN} with --concurrency ${concurrency}, ${latency} ms latency: ${fmt(s)}, executor phase ${(executorMs / 1000).toFixed(2)} s`);
  }
} finally {
  moto.stop();
}

writeReport(results, join(ROOT, "docs"), join(BENCH, "results.json"));
log(`wrote docs/benchmarks.md and docs/benchmarks.svg in ${((performance.now() - benchStarted) / 60000).toFixed(1)} min`);

/**
 * Where opsctl's dry run spends its time, seen from a pass-through proxy (no faults): discovery
 * (DescribeVolumes) until the first DeleteVolume DryRun call, then validation (every DryRun call).
 */
async function opsctlPhases(opsctl: string, workspace: (endpoint: string) => { dir: string; env: Record<string, string> }) {
  const proxy = await new FaultProxy(moto.url).start();
  try {
    const w = workspace(proxy.url);
    const s = await runOnce({
      cmd: [opsctl, "cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"],
      cwd: w.dir,
      env: w.env,
      okCodes: [10],
    });
    const describe = proxy.seen.find((x) => x.operation === "DescribeVolumes");
    const dry = proxy.seen.filter((x) => x.operation === "DeleteVolume" && x.dryRun);
    const first = dry[0]?.at ?? 0;
    const last = dry.at(-1)?.at ?? 0;
    return { wallMs: s.wallMs, discoveryMs: first - (describe?.at ?? 0), validationMs: last - first, dryRunCalls: dry.length };
  } finally {
    proxy.stop();
  }
}

function fmt(s: Summary | undefined): string {
  return s ? `${(s.wallMs / 1000).toFixed(2)} s, cpu ${(s.cpuMs / 1000).toFixed(2)} s, ${s.rssMB.toFixed(0)} MB` : "-";
}

function machine(): string {
  const os = require("node:os") as typeof import("node:os");
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()} (${process.arch})`;
}
