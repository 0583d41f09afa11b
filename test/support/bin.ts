import { existsSync } from "node:fs";
import { join } from "node:path";

const host = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
export const BIN = process.env.OPSCTL_BIN ?? join(import.meta.dir, "..", "..", "dist", `opsctl-${host}`);
/** The example team binary (examples/commands built in by scripts/test.sh). */
export const TEAM_NAME = "opsctl-example";
export const TEAM_BIN = join(import.meta.dir, "..", "..", "dist", `${TEAM_NAME}-${host}`);

export interface BinResult {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON envelope, asserted field by field
  json: any;
}

export interface BinOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Called with the running process, e.g. to send a signal mid-apply. */
  during?: (proc: ReturnType<typeof Bun.spawn>, stderrSoFar: () => string) => Promise<void>;
  timeoutMs?: number;
  /** Another binary than opsctl's (a team binary). */
  bin?: string;
}

/** Runs the compiled binary with a clean environment: only what the test passes in. */
export async function runBin(args: string[], o: BinOptions): Promise<BinResult> {
  const bin = o.bin ?? BIN;
  if (!existsSync(bin)) throw new Error(`compiled binary ${bin} is missing: run 'npm run build:host' (npm test does)`);
  return runProcess([bin, ...args], o);
}

export async function runProcess(cmd: string[], o: BinOptions): Promise<BinResult> {
  const proc = Bun.spawn(cmd, {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", AWS_EC2_METADATA_DISABLED: "true", ...o.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let stderr = "";
  const errDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += decoder.decode(chunk, { stream: true });
  })();
  const outDone = new Response(proc.stdout as ReadableStream).text();
  const timer = setTimeout(() => proc.kill("SIGKILL"), o.timeoutMs ?? 50_000);
  if (o.during) await o.during(proc, () => stderr);
  const code = await proc.exited;
  clearTimeout(timer);
  const stdout = await outDone;
  await errDone;
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}
