// Renders docs/benchmarks.md and the charts from saved bench results, taking each section
// from the first file that has it (scale rows are combined by N, the first file's row winning). For a run stopped before it saved (a bench log only),
// the scale section is read back from the log lines and the per-N output files in .bench/.
//
//   bun scripts/bench/merge.ts [--log bench.log] [--note "how the parts were made"] results-a.json [results-b.json ...]
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type BenchResults, writeReport } from "./report.ts";
import { BENCH, ROOT } from "./tools.ts";

const args = process.argv.slice(2);
const logAt = args.indexOf("--log");
const logFile = logAt >= 0 ? args.splice(logAt, 2)[1] : undefined;
const noteAt = args.indexOf("--note");
const note = noteAt >= 0 ? args.splice(noteAt, 2)[1] : undefined;
const parts: Partial<BenchResults>[] = args.map((f) => JSON.parse(readFileSync(f, "utf8")));
if (logFile) parts.push(fromLog(readFileSync(logFile, "utf8")));

const pick = <K extends keyof BenchResults>(k: K, empty: (v: BenchResults[K] | undefined) => boolean): BenchResults[K] =>
  (parts.find((p) => !empty(p[k])) ?? parts[0])?.[k] as BenchResults[K];
const none = (v: unknown) => v === undefined || (Array.isArray(v) ? v.length === 0 : typeof v === "object" && v !== null && Object.keys(v).length === 0);

const base = parts.find((p) => p.commit) ?? {};
const merged: BenchResults = {
  date: String(base.date ?? new Date().toISOString()),
  commit: String(base.commit ?? ""),
  machine: String(base.machine ?? ""),
  versions: (base.versions ?? {}) as Record<string, string>,
  quick: Boolean(base.quick),
  ...(note ? { provenance: note } : {}),
  startup: pick("startup", none) ?? {},
  // Scale rows by N from every part (the first part that measured an N wins), sorted by N.
  scale: [
    ...new Map(
      parts
        .flatMap((p) => p.scale ?? [])
        .reverse()
        .map((x) => [x.n, x]),
    ).values(),
  ].sort((a, b) => a.n - b.n),
  seeding: parts.flatMap((p) => p.seeding ?? []),
  apply: pick("apply", none) ?? [],
  throttle: pick("throttle", none) ?? [],
  executorFake: pick("executorFake", none) ?? [],
  load: parts.flatMap((p) => p.load ?? []),
};
await writeReport(merged, join(ROOT, "docs"), join(BENCH, "results.json"));
console.error(`wrote docs/benchmarks.md from ${args.length} result file(s)${logFile ? ` and ${logFile}` : ""}`);

/** The scale section from a bench log (its per-N lines) and the per-N output files the run left. */
function fromLog(text: string): Partial<BenchResults> {
  const scale: BenchResults["scale"] = [];
  const seeding: BenchResults["seeding"] = [];
  let from = 0;
  let to = 0;
  const expected = new Map<number, number>();
  const calls = new Map<number, Record<string, Record<string, number>>>();
  for (const line of text.split("\n")) {
    let m = /seeding (\d+) → (\d+) volumes/.exec(line);
    if (m) [from, to] = [Number(m[1]), Number(m[2])];
    m = /seeded in ([\d.]+) s \((\d+) calls\/s\)/.exec(line);
    if (m) seeding.push({ from, to, ms: Number(m[1]) * 1000, callsPerSecond: Number(m[2]) });
    m = /scale N=(\d+): .*expect (\d+) candidates/.exec(line);
    if (m) expected.set(Number(m[1]), Number(m[2]));
    m = /N=(\d+): API calls per run: (\{.*\})$/.exec(line);
    if (m) calls.set(Number(m[1]), JSON.parse(m[2] as string));
    m = /N=(\d+): opsctl (.*) · custodian (.*) · aws (.*) · same ids: (true|false)/.exec(line);
    if (m) {
      const n = Number(m[1]);
      const tool = (s: string) => {
        const t = /([\d.]+) (m?s), cpu ([\d.]+) (m?s), ([\d.]+) MB/.exec(s);
        const secs = (v: string, u: string) => Number(v) * (u === "s" ? 1000 : 1);
        return t ? { wallMs: secs(t[1] as string, t[2] as string), cpuMs: secs(t[3] as string, t[4] as string), rssMB: Number(t[5]), runs: 0 } : undefined;
      };
      const read = (f: string) => (existsSync(join(BENCH, f)) ? JSON.parse(readFileSync(join(BENCH, f), "utf8")) : undefined);
      const ops = read(`out-opsctl-${n}.json`);
      const cus = read(join(`custodian-${n}`, "unused-staging-volumes", "resources.json"));
      const aws = read(`out-aws-${n}.json`);
      scale.push({
        n,
        tools: { opsctl: tool(m[2] as string), custodian: tool(m[3] as string), "aws cli": tool(m[4] as string) } as BenchResults["scale"][number]["tools"],
        opsctlIds: ops?.plan?.actions?.length ?? 0,
        custodianIds: cus?.length ?? 0,
        awsIds: aws?.length ?? 0,
        expected: expected.get(n) ?? 0,
        same: m[5] === "true",
        apiCalls: calls.get(n),
        opsctlApiCalls: ops?.apiCalls,
      });
    }
  }
  return { scale, seeding };
}
