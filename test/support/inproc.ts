import { runCli } from "../../src/cli/app.ts";
import { root } from "../../src/commands/index.ts";
import { Redactor } from "../../src/config/redact.ts";
import type { Deps } from "../../src/core/deps.ts";
import type { Providers } from "../../src/core/providers.ts";

export const FROZEN_NOW = new Date("2026-11-28T12:00:00.000Z");

export interface InProcOptions {
  env?: Record<string, string | undefined>;
  cwd: string;
  providers?: Providers;
  now?: Date;
  stdinIsTTY?: boolean;
  stderrIsTTY?: boolean;
  answer?: string;
  signal?: AbortSignal;
}

/**
 * Runs the CLI in this process with injected streams, clock and providers: the
 * same code path as the binary, for golden files and fast checks.
 */
export async function runInProcess(argv: string[], o: InProcOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const missing = async () => {
    throw new Error("no provider injected for this test");
  };
  const deps: Deps = {
    env: o.env ?? { HOME: o.cwd, XDG_CONFIG_HOME: `${o.cwd}/.xdg-config`, XDG_STATE_HOME: `${o.cwd}/.xdg-state` },
    cwd: o.cwd,
    now: () => o.now ?? FROZEN_NOW,
    stdout: {
      write: (t) => {
        stdout += t;
      },
      isTTY: false,
    },
    stderr: {
      write: (t) => {
        stderr += t;
      },
      isTTY: o.stderrIsTTY ?? false,
    },
    stdinIsTTY: o.stdinIsTTY ?? false,
    prompt: async (q) => {
      stderr += q;
      return o.answer;
    },
    signal: o.signal ?? new AbortController().signal,
    providers: { ec2: missing, sts: missing, ...o.providers },
    build: { version: "0.1.0", commit: "test", target: "source" },
    runtime: "test",
    redactor: new Redactor(),
  };
  const code = await runCli(argv, root, deps);
  return { code, stdout, stderr };
}
