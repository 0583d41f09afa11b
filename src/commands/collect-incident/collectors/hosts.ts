import { execFile } from "node:child_process";
import { accessSync, constants, createReadStream, statSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { delimiter, isAbsolute, join } from "node:path";
import { createInterface } from "node:readline";
import type { Collector, PlannedRead, ProbeResult, ReadFailure, Sink } from "../collect.ts";
import { inWindow, type Window } from "../window.ts";

// The host opsctl runs on (a bastion, a VM): only what the config allow-lists. Files are
// read line by line (a multi-GiB log never sits in memory); commands run without a
// shell, with a timeout, their output bounded by the collector's share.

export interface HostFile {
  path: string;
  /** "time": keep lines whose leading timestamp is in the window (continuations follow their line). */
  filter: "time" | "none";
}

export interface HostCommand {
  name: string;
  argv: string[];
  timeoutMs: number;
}

export interface HostsCollectorOptions {
  files: HostFile[];
  commands: HostCommand[];
  env: Record<string, string | undefined>;
}

export function classifyHost(e: unknown): Omit<ReadFailure, "read"> {
  const err = e as NodeJS.ErrnoException & { killed?: boolean };
  const code = err.killed ? "ETIMEDOUT" : (err.code ?? "error");
  return { class: code === "EACCES" || code === "EPERM" ? "auth" : "validation", code: String(code), message: String(err.message ?? e).split("\n")[0] ?? "" };
}

export function createHostsCollector(o: HostsCollectorOptions): Collector {
  return {
    name: "hosts",
    async plan() {
      const reads: PlannedRead[] = o.files.map((f) => ({
        id: `hosts:file:${f.path}`,
        collector: "hosts",
        call: f.filter === "time" ? "read file, lines with a timestamp in the window" : "read file",
        target: f.path,
        bound: f.filter === "time" ? "window" : "snapshot",
        estimatedBytes: sizeOf(f.path),
      }));
      for (const c of o.commands) {
        reads.push({
          id: `hosts:command:${c.name}`,
          collector: "hosts",
          call: `run ${c.argv.join(" ")} (no shell, timeout ${c.timeoutMs / 1000}s)`,
          target: hostname(),
          bound: "snapshot",
          estimatedBytes: 16_384,
        });
      }
      return reads;
    },
    async probe() {
      const out: ProbeResult[] = [];
      for (const f of o.files) {
        try {
          accessSync(f.path, constants.R_OK);
          out.push({ collector: "hosts", name: `read ${f.path}`, status: "passed", detail: "readable" });
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          // A missing file is recorded as a failed read; only a refusal is a permission verdict.
          out.push({
            collector: "hosts",
            name: `read ${f.path}`,
            status: code === "ENOENT" ? "passed" : "failed",
            detail: code === "ENOENT" ? "does not exist (recorded as a failed read)" : String(code),
          });
        }
      }
      for (const c of o.commands) {
        const bin = which(c.argv[0] ?? "", o.env);
        out.push({
          collector: "hosts",
          name: `run ${c.name}`,
          status: bin ? "passed" : "failed",
          detail: bin ? bin : `${c.argv[0]} is not an executable on PATH`,
        });
      }
      return out;
    },
    async identity() {
      return `${osUser(o.env)}@${hostname()}`;
    },
    async collect(sink) {
      for (const f of o.files) {
        sink.checkAborted();
        try {
          const { text, cut, skipped } = await readLines(f, sink.window, sink.remaining);
          const note = cut ? `${sink.shareText()} reached: later lines not read` : undefined;
          const source = f.filter === "time" ? `file ${f.path} (lines in the window; ${skipped} outside or without a time)` : `file ${f.path}`;
          await sink.text(`hosts/files/${f.path.replace(/^\/+/, "")}`, source, text, note ? { truncated: note } : {});
        } catch (e) {
          sink.fail(`read ${f.path}`, e, classifyHost);
        }
      }
      for (const c of o.commands) {
        sink.checkAborted();
        try {
          const r = await run(c, Math.max(1, sink.remaining), sink.signal);
          await sink.text(
            `hosts/commands/${c.name}.txt`,
            `command ${c.argv.join(" ")} (exit ${r.code})`,
            r.output,
            r.cut ? { truncated: `${sink.shareText()} reached: output cut` } : {},
          );
        } catch (e) {
          sink.fail(`run ${c.name}`, e, classifyHost);
        }
      }
    },
  };
}

const ISO = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/;
const SYSLOG = /^([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})/;

/** The time a log line starts with, if any: ISO 8601 (UTC when no zone) or syslog (this year, local time). */
export function lineTime(line: string, year = new Date().getFullYear()): number | undefined {
  const iso = ISO.exec(line);
  if (iso) {
    let t = (iso[1] as string).replace(" ", "T").replace(",", ".");
    if (!/(Z|[+-]\d{2}:?\d{2})$/.test(t)) t += "Z";
    const ms = Date.parse(t.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
    return Number.isNaN(ms) ? undefined : ms;
  }
  const sys = SYSLOG.exec(line);
  if (sys) {
    const ms = Date.parse(`${sys[1]} ${year}`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

async function readLines(f: HostFile, w: Window, limit: number): Promise<{ text: string; cut: boolean; skipped: number }> {
  const stream = createReadStream(f.path, { encoding: "utf8" });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", reject);
  });
  await opened;
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const kept: string[] = [];
  let bytes = 0;
  let keep = f.filter === "none";
  let skipped = 0;
  let cut = false;
  try {
    for await (const line of rl) {
      if (f.filter === "time") {
        const t = lineTime(line);
        // A line without a time (a stack trace) goes with the line above it.
        if (t !== undefined) keep = inWindow(w, t);
      }
      if (!keep) {
        skipped++;
        continue;
      }
      bytes += Buffer.byteLength(line) + 1;
      if (bytes > limit) {
        cut = true;
        break;
      }
      kept.push(line);
    }
  } finally {
    rl.close();
    stream.destroy();
  }
  return { text: kept.length ? `${kept.join("\n")}\n` : "", cut, skipped };
}

function run(c: HostCommand, maxBytes: number, signal: AbortSignal): Promise<{ code: number; output: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    execFile(
      c.argv[0] as string,
      c.argv.slice(1),
      { timeout: c.timeoutMs, maxBuffer: maxBytes, encoding: "utf8", shell: false, signal },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: string | number; killed?: boolean }) | null;
        const output = `${stdout}${stderr ? `${stdout && !stdout.endsWith("\n") ? "\n" : ""}[stderr]\n${stderr}` : ""}`;
        if (e && e.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") return resolve({ code: -1, output, cut: true });
        if (e && (typeof e.code === "string" || e.killed)) return reject(e);
        resolve({ code: e ? Number(e.code ?? 1) : 0, output, cut: false });
      },
    );
  });
}

function which(cmd: string, env: Record<string, string | undefined>): string | undefined {
  const candidates =
    isAbsolute(cmd) || cmd.includes("/")
      ? [cmd]
      : (env.PATH ?? "")
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, cmd));
  for (const p of candidates) {
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {}
  }
  return undefined;
}

/** The OS user: env first (Bun answers "unknown" where it cannot look the user up), then the uid. */
function osUser(env: Record<string, string | undefined>): string {
  const fromEnv = env.USER || env.LOGNAME || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    const name = userInfo().username;
    if (name && name !== "unknown") return name;
  } catch {}
  return `uid ${process.getuid?.() ?? "?"}`;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
