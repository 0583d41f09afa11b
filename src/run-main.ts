import { writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { runCli } from "./cli/app.ts";
import { Redactor } from "./config/redact.ts";
import type { GroupCommand } from "./core/command.ts";
import type { Deps, Writer } from "./core/deps.ts";
import type { Providers } from "./core/providers.ts";
import { injectedRuntimeOptions } from "./core/runtime-guard.ts";
import { builtinProviders } from "./providers/index.ts";
import { BUILD, runtimeName } from "./version.ts";

// The only module that touches process exit and signals (DESIGN §1); src/main.ts and the
// generated entry of a team binary call runMain() with their registry.

export async function runMain(root: GroupCommand, extraProviders: Providers = {}): Promise<never> {
  const refused = injectedRuntimeOptions(process.env, runtimeName());
  if (refused) {
    writeSync(2, `${refused.replace(/^opsctl:/, `${root.name}:`)}\n`);
    process.exit(2);
  }
  const interrupt = new AbortController();
  let interrupts = 0;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      interrupts++;
      // The first signal lets in-flight calls finish and records the result; a second one leaves at once.
      if (interrupts > 1) process.exit(130);
      process.stderr.write(`\n${root.name}: ${sig} received: finishing in-flight calls, starting nothing new (again to exit now)\n`);
      interrupt.abort();
    });
  }

  /**
   * Output is written synchronously: with a pipe on the other end, Bun hands
   * process.stdout.write data to the OS later, and the process.exit below would cut a
   * large JSON document (or a long error list) at 128 KiB.
   */
  // One buffer reused for every write that fits (JSON is streamed in ~64 KiB pieces): a fresh
  // Buffer per piece is memory outside the JS heap that the collector frees late.
  const scratch = new Uint8Array(1 << 18);
  const encoder = new TextEncoder();
  const writer = (fd: 1 | 2, stream: NodeJS.WriteStream): Writer => ({
    write: (text) => {
      const buf = text.length * 3 <= scratch.length ? scratch.subarray(0, encoder.encodeInto(text, scratch).written) : Buffer.from(text);
      for (let off = 0; off < buf.length; ) {
        try {
          off += writeSync(fd, buf, off);
        } catch (e) {
          // A non-blocking pipe that is full: wait a moment and go on.
          if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
      }
    },
    isTTY: Boolean(stream.isTTY),
  });

  const deps: Deps = {
    env: { ...process.env },
    cwd: process.cwd(),
    now: () => new Date(),
    stdout: writer(1, process.stdout),
    stderr: writer(2, process.stderr),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    prompt: async (question) => {
      if (!process.stdin.isTTY) return undefined;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await new Promise<string>((resolve) => rl.question(question, resolve));
      } finally {
        rl.close();
      }
    },
    signal: interrupt.signal,
    providers: { ...builtinProviders, ...extraProviders },
    build: BUILD,
    runtime: runtimeName(),
    redactor: new Redactor(),
  };

  const code = await runCli(process.argv.slice(2), root, deps);
  process.exit(code);
}
