// Runs a process and measures it: wall time, CPU time (user+system) and peak RSS of that
// process alone, through rusage.py (wait4 on the child). Bun's own resourceUsage() reports
// the largest RSS of any child so far, which would give every tool the same figure.
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Sample {
  wallMs: number;
  cpuMs: number;
  rssMB: number;
  code: number;
}

export interface RunSpec {
  cmd: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Where stdout goes (a file path); default: discarded. */
  stdoutFile?: string;
  /** Exit codes that count as a successful run. */
  okCodes?: number[];
}

export async function runOnce(spec: RunSpec): Promise<Sample> {
  const result = join(tmpdir(), `opsctl-bench-rusage-${process.pid}.json`);
  // Bun.file() as stdout does not truncate: a shorter second run would leave the first's tail.
  if (spec.stdoutFile) rmSync(spec.stdoutFile, { force: true });
  const proc = Bun.spawn(["python3", join(import.meta.dir, "rusage.py"), result, ...spec.cmd], {
    cwd: spec.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...spec.env },
    stdin: "ignore",
    stdout: spec.stdoutFile ? Bun.file(spec.stdoutFile) : "ignore",
    stderr: "pipe",
  });
  const stderr = new Response(proc.stderr).text();
  await proc.exited;
  const s = JSON.parse(readFileSync(result, "utf8")) as Sample;
  if (!(spec.okCodes ?? [0]).includes(s.code)) {
    throw new Error(`${spec.cmd.join(" ").slice(0, 200)} exited ${s.code}:\n${(await stderr).slice(-2000)}`);
  }
  return s;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export interface Summary {
  wallMs: number;
  cpuMs: number;
  rssMB: number;
  runs: number;
}

export function summarise(samples: Sample[]): Summary {
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    rssMB: median(samples.map((s) => s.rssMB)),
    runs: samples.length,
  };
}

/**
 * Runs every spec `runs` times, round-robin (a, b, c, a, b, c …) so that a noisy moment on
 * the machine hits all of them alike, after one unmeasured warm-up run each.
 */
export async function interleaved(
  specs: Record<string, RunSpec>,
  runs: number,
  warmup = 1,
  onFailure?: (name: string, e: Error) => void,
): Promise<Record<string, Summary>> {
  const names = Object.keys(specs);
  const failed = new Set<string>();
  // With onFailure, a tool that fails (e.g. a client read timeout on a loaded machine) is
  // reported and left out of the later rounds instead of ending the whole bench.
  const once = async (n: string): Promise<Sample | undefined> => {
    if (failed.has(n)) return undefined;
    try {
      return await runOnce(specs[n] as RunSpec);
    } catch (e) {
      if (!onFailure) throw e;
      failed.add(n);
      onFailure(n, e as Error);
      return undefined;
    }
  };
  for (let w = 0; w < warmup; w++) for (const n of names) await once(n);
  const samples: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < runs; r++)
    for (const n of names) {
      const x = await once(n);
      if (x) samples[n]?.push(x);
    }
  return Object.fromEntries(names.filter((n) => (samples[n]?.length ?? 0) > 0).map((n) => [n, summarise(samples[n] as Sample[])]));
}
