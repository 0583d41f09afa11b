// Renders the bench results: docs/benchmarks.md (figures, ratios, targets met or missed)
// and docs/benchmarks.svg (time and memory against N for the three tools).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Summary } from "./measure.ts";

export interface BenchResults {
  date: string;
  commit: string;
  machine: string;
  versions: Record<string, string>;
  quick: boolean;
  startup: Record<string, Summary>;
  seeding: { from: number; to: number; ms: number; callsPerSecond: number }[];
  scale: {
    n: number;
    tools: Record<string, Summary>;
    opsctlIds: number;
    custodianIds: number;
    awsIds: number;
    expected: number;
    same: boolean;
    phases?: { wallMs: number; discoveryMs: number; validationMs: number; dryRunCalls: number };
  }[];
  apply: ({ concurrency: number; latencyMs: number; n: number; executorMs: number } & Summary)[];
}

const TOOLS = ["opsctl", "custodian", "aws cli"] as const;
const COLORS: Record<string, string> = { opsctl: "#1f77b4", custodian: "#d62728", "aws cli": "#2ca02c" };

export function writeReport(r: BenchResults, docs: string, raw?: string): void {
  // The raw figures too, so the report can be checked against them.
  if (raw) writeFileSync(raw, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(docs, "benchmarks.md"), markdown(r));
  writeFileSync(join(docs, "benchmarks.svg"), svg(r));
}

const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "–" : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
const mb = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "–" : `${x.toFixed(1)} MB`);
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : "–");

function targets(r: BenchResults): string[][] {
  const s = r.startup;
  const version = s["opsctl --version"]?.wallMs;
  const floor = s["bun hello (floor)"]?.wallMs;
  const aws = s["aws --version"]?.wallMs;
  const at = (n: number) => r.scale.find((x) => x.n === n);
  const tenK = at(10_000);
  const fiftyK = at(50_000);
  const c1 = r.apply.find((a) => a.concurrency === 1 && a.latencyMs === 20);
  const c16 = r.apply.find((a) => a.concurrency === 16 && a.latencyMs === 20);
  const row = (target: string, measured: string, ok: boolean | undefined, why = "") => [
    target,
    measured,
    ok === undefined ? "not measured" : ok ? "met" : "**missed**",
    why,
  ];
  return [
    row(
      "`--version` within 3× of the bare Bun binary",
      version && floor ? `${ms(version)} vs ${ms(floor)} = ${ratio(version, floor)}` : "–",
      version && floor ? version <= 3 * floor : undefined,
    ),
    row(
      "`--version` at least 10× faster than `aws --version`",
      version && aws ? `${ms(aws)} / ${ms(version)} = ${ratio(aws, version)}` : "–",
      version && aws ? aws >= 10 * version : undefined,
    ),
    row(
      "10k-volume dry run no slower than Custodian's",
      tenK
        ? `${ms(tenK.tools.opsctl?.wallMs)} vs ${ms(tenK.tools.custodian?.wallMs)} = ${ratio(tenK.tools.opsctl?.wallMs, tenK.tools.custodian?.wallMs)}`
        : "–",
      tenK ? (tenK.tools.opsctl?.wallMs ?? Infinity) <= (tenK.tools.custodian?.wallMs ?? 0) : undefined,
      "opsctl's dry run also sends one `DeleteVolume DryRun=true` per candidate to the control plane (validation, DESIGN §1); Custodian's `--dryrun` only filters.",
    ),
    row(
      "peak RSS at 50k volumes under 150 MB",
      fiftyK ? mb(fiftyK.tools.opsctl?.rssMB) : "–",
      fiftyK ? (fiftyK.tools.opsctl?.rssMB ?? Infinity) < 150 : undefined,
      "moto ignores MaxResults and answers DescribeVolumes with all N volumes in one XML document, so opsctl holds that document, its parse tree, every volume and a plan with one action (reason, evidence, call, preconditions) per candidate at once; Custodian and the AWS CLI also grow linearly here (see the table). Not measured against a paginating endpoint.",
    ),
    row(
      "`--concurrency 16` at least 8× faster than 1 under 20 ms latency",
      c1 && c16
        ? `whole run ${ms(c1.wallMs)} / ${ms(c16.wallMs)} = ${ratio(c1.wallMs, c16.wallMs)}; executor phase ${ratio(c1.executorMs, c16.executorMs)}`
        : "–",
      c1 && c16 ? c1.wallMs >= 8 * c16.wallMs : undefined,
      "The whole run includes discovery and validation (8 DryRun calls in flight whatever --concurrency is); the executor phase is from the first live re-read to the last DeleteVolume, as seen by the proxy. See the no-latency row: moto (one Python process) caps the rate.",
    ),
  ];
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function growth(r: BenchResults, tool: string, key: "wallMs" | "cpuMs" | "rssMB"): string {
  if (r.scale.length < 2) return "–";
  const a = r.scale[0];
  const b = r.scale[r.scale.length - 1];
  const va = a?.tools[tool]?.[key];
  const vb = b?.tools[tool]?.[key];
  if (!a || !b || va === undefined || vb === undefined) return "–";
  const per10k = ((vb - va) / (b.n - a.n)) * 10_000;
  return key === "rssMB" ? `${per10k.toFixed(1)} MB` : ms(per10k);
}

function markdown(r: BenchResults): string {
  const floor = r.startup["bun hello (floor)"]?.wallMs;
  const lines: string[] = [];
  lines.push("# Benchmarks");
  lines.push("");
  lines.push(
    `Generated by \`npm run bench\` (scripts/bench/) on ${r.date} at commit \`${r.commit}\`${r.quick ? " — **quick mode: small sizes, single runs; not the reference figures**" : ""}.`,
  );
  lines.push(
    `Machine: ${r.machine}. Versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} \`${v}\``)
      .join(", ")}.`,
  );
  lines.push("");
  lines.push(
    "Every figure is the median of several runs made in the same run as its baselines (round-robin, so a noisy moment hits every tool alike). Wall time is measured around the process; CPU time (user + system) and peak RSS are the process's own `getrusage` figures. All traffic goes to a moto server on 127.0.0.1 started by the bench. The machine is shared with other work, so treat small differences as noise.",
  );
  lines.push("");
  lines.push("## Targets");
  lines.push("");
  lines.push(table(["target", "measured", "verdict", "note"], targets(r)));
  lines.push("");
  lines.push("## 1. Start-up");
  lines.push("");
  lines.push(
    table(
      ["command", "wall (median)", "× floor", "CPU", "peak RSS", "runs"],
      Object.entries(r.startup).map(([name, s]) => [`\`${name}\``, ms(s.wallMs), ratio(s.wallMs, floor), ms(s.cpuMs), mb(s.rssMB), String(s.runs)]),
    ),
  );
  lines.push("");
  lines.push(
    "The floor is a one-line program compiled with the same flags as opsctl's release build (`bun build --compile --minify --bytecode --format=esm --splitting`). `aws` is the AWS CLI v1 and `custodian` is Cloud Custodian, both installed with pip into `.bench/venv`.",
  );
  lines.push("");
  lines.push("## 2. Scale: a dry run over N volumes");
  lines.push("");
  lines.push(
    "Volumes are mixed: 60% `Environment=staging`, 25% prod, 15% dev; ages 90, 45 and 5 days; 10% attached to instances (in-use); 3% carry `opsctl:protect=true`; a `team` tag. Seeded with a fixed seed, so every run sees the same set. Commands:",
  );
  lines.push("");
  lines.push(
    "- opsctl: `opsctl cleanup-volumes --environment staging --dry-run --format json` (default `olderThan: 30d`, guardrail raised so the plan is valid)",
  );
  lines.push(
    "- Custodian: `custodian run --dryrun --cache-period 0` with policy `resource: ebs`, filters `State: available`, `tag:Environment: staging`, `CreateTime` age > 30 days, not `tag:opsctl:protect: true`",
  );
  lines.push(
    "- AWS CLI: `aws ec2 describe-volumes --filters Name=status,Values=available Name=tag:Environment,Values=staging --query 'Volumes[?CreateTime<=`cutoff`].VolumeId'`",
  );
  lines.push("");
  const rows: string[][] = [];
  for (const s of r.scale)
    for (const t of TOOLS) {
      const x = s.tools[t];
      rows.push([String(s.n), t, ms(x?.wallMs), ms(x?.cpuMs), mb(x?.rssMB), t === "opsctl" ? "1.00×" : ratio(x?.wallMs, s.tools.opsctl?.wallMs)]);
    }
  lines.push(table(["N", "tool", "wall", "CPU", "peak RSS", "wall vs opsctl"], rows));
  lines.push("");
  lines.push("Growth per 10k volumes (from the smallest to the largest N):");
  lines.push("");
  lines.push(
    table(
      ["tool", "wall", "CPU", "peak RSS"],
      TOOLS.map((t) => [t, growth(r, t, "wallMs"), growth(r, t, "cpuMs"), growth(r, t, "rssMB")]),
    ),
  );
  lines.push("");
  lines.push(
    "Where opsctl's dry run spends its time (one extra run through a pass-through proxy, which adds its own overhead): discovery is `DescribeVolumes` until the first `DeleteVolume DryRun=true`; validation is the span of those DryRun calls (8 in flight, one per candidate).",
  );
  lines.push("");
  lines.push(
    table(
      ["N", "wall (via proxy)", "discovery", "validation", "DryRun calls"],
      r.scale.map((s) => [String(s.n), ms(s.phases?.wallMs), ms(s.phases?.discoveryMs), ms(s.phases?.validationMs), String(s.phases?.dryRunCalls ?? "–")]),
    ),
  );
  lines.push("");
  lines.push("Same selection:");
  lines.push("");
  lines.push(
    table(
      ["N", "expected (from the seed)", "opsctl", "Custodian", "AWS CLI (server filters + age; no protection tag)", "opsctl = Custodian (same ids)"],
      r.scale.map((s) => [String(s.n), String(s.expected), String(s.opsctlIds), String(s.custodianIds), String(s.awsIds), s.same ? "yes" : "**NO**"]),
    ),
  );
  lines.push("");
  lines.push("Seeding (CreateVolume with tags, AttachVolume for the in-use ones; 16 calls in flight):");
  lines.push("");
  lines.push(
    table(
      ["volumes", "time", "calls/s"],
      r.seeding.map((s) => [`${s.from} → ${s.to}`, ms(s.ms), String(s.callsPerSecond)]),
    ),
  );
  lines.push("");
  lines.push(
    "About moto: stock moto looks up each EC2 resource's tags by scanning every resource's tags, so one `DescribeVolumes` over N tagged volumes is O(N²) inside the emulator (measured: 5.5 s for 2,000 volumes, 23 s for 4,000); and under libfaketime (how the test suite ages volumes) every call costs ~60 ms, so seeding ran at 16–23 calls/s — 50k volumes would have taken about an hour to seed and hours to describe. The bench therefore runs `scripts/bench/moto_fast.py`: the same moto server with `get_tags` answered from its tag dictionary (same result) and volume ages set from a file instead of a faked clock. moto also ignores `MaxResults` for DescribeVolumes and returns every volume in one response, so no tool pages here.",
  );
  lines.push("");
  lines.push("## 3. Apply throughput");
  lines.push("");
  const n = r.apply[0]?.n ?? 0;
  lines.push(
    `Deleting ${n} volumes (\`opsctl cleanup-volumes --environment staging --concurrency C\`) through the fault proxy (test/support/fault-proxy.ts) adding 20 ms to every call (DescribeVolumes, the DryRun validations, the live re-read before each delete, DeleteVolume). Each run starts from a freshly seeded moto; each run checks that all ${n} were deleted. The last row adds no latency: it is the rate moto itself sustains (one Python process answering the live re-read and the delete of each action), the ceiling for any concurrency here.`,
  );
  lines.push("");
  const c1 = r.apply.find((a) => a.concurrency === 1 && a.latencyMs === 20);
  lines.push(
    table(
      ["--concurrency", "added latency", "wall", "speed-up vs 1", "executor phase", "speed-up vs 1", "CPU", "peak RSS"],
      r.apply.map((a) => [
        String(a.concurrency),
        `${a.latencyMs} ms`,
        ms(a.wallMs),
        ratio(c1?.wallMs, a.wallMs),
        ms(a.executorMs),
        ratio(c1?.executorMs, a.executorMs),
        ms(a.cpuMs),
        mb(a.rssMB),
      ]),
    ),
  );
  lines.push("");
  lines.push("## 4. Plot");
  lines.push("");
  lines.push("![wall time and peak RSS against N](benchmarks.svg)");
  lines.push("");
  return `${lines.join("\n")}`;
}

function svg(r: BenchResults): string {
  const W = 900;
  const H = 380;
  const panel = (x0: number, title: string, key: "wallMs" | "rssMB", unit: string, scale: (v: number) => number) => {
    const pw = 380;
    const ph = 260;
    const top = 50;
    const ns = r.scale.map((s) => s.n);
    const maxN = Math.max(...ns, 1);
    const vals = r.scale.flatMap((s) => TOOLS.map((t) => scale(s.tools[t]?.[key] ?? 0)));
    const maxV = Math.max(...vals, 1) * 1.1;
    const X = (n: number) => x0 + 50 + (n / maxN) * (pw - 60);
    const Y = (v: number) => top + ph - (v / maxV) * ph;
    const parts: string[] = [];
    parts.push(`<text x="${x0 + 50 + (pw - 60) / 2}" y="30" text-anchor="middle" font-size="15" font-weight="bold">${title}</text>`);
    parts.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(maxN)}" y2="${Y(0)}" stroke="#333"/>`);
    parts.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(0)}" y2="${top}" stroke="#333"/>`);
    for (let i = 0; i <= 4; i++) {
      const v = (maxV / 4) * i;
      parts.push(`<text x="${X(0) - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="11">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`);
      parts.push(`<line x1="${X(0)}" y1="${Y(v)}" x2="${X(maxN)}" y2="${Y(v)}" stroke="#eee"/>`);
    }
    for (const n of ns) parts.push(`<text x="${X(n)}" y="${Y(0) + 16}" text-anchor="middle" font-size="11">${n >= 1000 ? `${n / 1000}k` : n}</text>`);
    parts.push(`<text x="${X(maxN / 2)}" y="${Y(0) + 34}" text-anchor="middle" font-size="12">volumes (N)</text>`);
    parts.push(
      `<text x="${x0 + 12}" y="${top + ph / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 + 12} ${top + ph / 2})">${unit}</text>`,
    );
    for (const t of TOOLS) {
      const pts = r.scale.map((s) => `${X(s.n).toFixed(1)},${Y(scale(s.tools[t]?.[key] ?? 0)).toFixed(1)}`);
      parts.push(`<polyline fill="none" stroke="${COLORS[t]}" stroke-width="2" points="${pts.join(" ")}"/>`);
      for (const p of pts) parts.push(`<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="3" fill="${COLORS[t]}"/>`);
    }
    return parts.join("\n");
  };
  const legend = TOOLS.map(
    (t, i) =>
      `<rect x="${250 + i * 150}" y="${H - 22}" width="14" height="4" fill="${COLORS[t]}"/><text x="${270 + i * 150}" y="${H - 16}" font-size="12">${t}</text>`,
  ).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${panel(10, "Dry run: wall time", "wallMs", "seconds", (v) => v / 1000)}
${panel(460, "Dry run: peak RSS", "rssMB", "MB", (v) => v)}
${legend}
</svg>
`;
}
