#!/usr/bin/env -S deno run -A
import { createInterface } from "node:readline";
import { runCli } from "./cli/app.ts";
import { root } from "./commands/index.ts";
import { Redactor } from "./config/redact.ts";
import type { Deps, Writer } from "./core/deps.ts";
import { realProviders } from "./providers/factory.ts";
import { BUILD, runtimeName } from "./version.ts";

// The only module that touches process exit and signals (DESIGN §1).

const interrupt = new AbortController();
let interrupts = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    interrupts++;
    // The first signal lets in-flight calls finish and records the result; a second one leaves at once.
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\nopsctl: ${sig} received: finishing in-flight calls, starting nothing new (again to exit now)\n`);
    interrupt.abort();
  });
}

const writer = (stream: NodeJS.WriteStream): Writer => ({
  write: (text) => {
    stream.write(text);
  },
  isTTY: Boolean(stream.isTTY),
});

const deps: Deps = {
  env: { ...process.env },
  cwd: process.cwd(),
  now: () => new Date(),
  stdout: writer(process.stdout),
  stderr: writer(process.stderr),
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
  providers: realProviders,
  build: BUILD,
  runtime: runtimeName(),
  redactor: new Redactor(),
};

const code = await runCli(process.argv.slice(2), root, deps);
// Let stdout drain before leaving (a pipe may still hold the JSON document).
process.exitCode = code;
await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once("drain", () => resolve()) : resolve()));
process.exit(code);
