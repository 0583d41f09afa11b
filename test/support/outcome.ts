import { EXIT_CODES } from "../../src/core/exit-codes.ts";
import type { BinResult } from "./bin.ts";

const DOCUMENTED = new Set<number>(EXIT_CODES.map((r) => r.code));
/** A JavaScript stack frame, as Bun or V8 prints them. */
const STACK = /^\s+at .*(\(|\s)(\/|[A-Za-z]:|bun:|node:|native)|^\s+at <anonymous>|\n\s+at \S+ \(/m;
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters must never reach a terminal
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export interface Expectation {
  /** An exact exit code, or any documented code other than 1. */
  code?: number;
  json: boolean;
  /** Output size allowed (default 64 kB): a 100 kB argument must never be echoed whole. */
  maxOutput?: number;
  /** A text usage error may print what was loaded before it (`apply` shows the saved plan); default: stdout stays empty. */
  stdoutOnUsage?: boolean;
}

/**
 * What every run must satisfy whatever its input: a documented exit code that is not 1,
 * no stack trace, no raw control characters, bounded output (a 100 kB argument is never
 * echoed whole), and with --format json exactly one envelope whose exit matches.
 */
export function violations(r: BinResult, e: Expectation): string[] {
  const out: string[] = [];
  if (!DOCUMENTED.has(r.code)) out.push(`exit ${r.code} is not in the exit-code table`);
  if (r.code === 1) out.push("exit 1 (internal error)");
  if (e.code !== undefined && r.code !== e.code) out.push(`exit ${r.code}, expected ${e.code}`);
  if (STACK.test(r.stdout)) out.push("stack trace on stdout");
  if (STACK.test(r.stderr)) out.push("stack trace on stderr");
  if (CONTROL.test(r.stdout) || CONTROL.test(r.stderr)) out.push("raw control characters in the output");
  if (r.stdout.length + r.stderr.length > (e.maxOutput ?? 64 * 1024)) out.push(`${r.stdout.length + r.stderr.length} bytes of output`);
  if (e.json) {
    if (!r.json) out.push("--format json but stdout is not one JSON document");
    else if (r.json.exit?.code !== r.code) out.push(`envelope exit ${JSON.stringify(r.json.exit)} but process exit ${r.code}`);
  } else if (e.code === 2 && r.code === 2 && r.stdout !== "" && !e.stdoutOnUsage) out.push("usage error wrote to stdout");
  return out;
}
