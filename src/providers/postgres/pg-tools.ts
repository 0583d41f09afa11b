import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

// pg_restore is a host dependency: the opsctl binary carries no PostgreSQL client, so it
// is found on the host (config path, PATH, Debian's /usr/lib/postgresql/N/bin) and its
// absence is named with what was searched.

export interface Tool {
  path: string;
  /** Major version, from `--version`. */
  major: number;
  version: string;
}

export type Located = { ok: true; tool: Tool } | { ok: false; message: string };

export interface Connection {
  host: string;
  port: number;
  user: string;
  password?: string;
  sslmode?: string;
}

export interface RunOutcome {
  code: number | null;
  signal: string | null;
  stderr: string;
  stdout: string;
  durationMs: number;
  aborted: boolean;
}

/** Where a PostgreSQL client tool is: the configured path, else PATH, else the newest /usr/lib/postgresql/N/bin. */
export async function locateTool(name: "pg_restore" | "pg_dump", configured: string | undefined, env: Record<string, string | undefined>): Promise<Located> {
  const searched: string[] = [];
  const candidates: string[] = [];
  if (configured) {
    searched.push(`verifyBackup.pgRestore (${configured})`);
    candidates.push(configured);
  } else {
    const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
    searched.push(`PATH (${dirs.length} dirs)`);
    candidates.push(...dirs.map((d) => join(d, name)));
    const base = "/usr/lib/postgresql";
    searched.push(`${base}/*/bin`);
    if (existsSync(base)) {
      const majors = readdirSync(base)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a));
      candidates.push(...majors.map((m) => join(base, m, "bin", name)));
    }
  }
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const r = await run(path, ["--version"], {});
    const m = /(\d+)(?:\.(\d+))?/.exec(r.stdout);
    if (r.code === 0 && m) return { ok: true, tool: { path, major: Number(m[1]), version: r.stdout.trim() } };
  }
  return {
    ok: false,
    message: `${name} not found (searched ${searched.join(", ")}): install the PostgreSQL client tools (Debian: apt-get install postgresql-client) or set verifyBackup.pgRestore to its path`,
  };
}

/** Environment for a libpq tool: the password goes in PGPASSWORD, never on the command line (ps shows argv). */
export function libpqEnv(c: Connection, database: string, base: Record<string, string | undefined>): Record<string, string> {
  const keep = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY"];
  const env: Record<string, string> = {};
  for (const k of keep) if (base[k] !== undefined) env[k] = base[k] as string;
  Object.assign(env, {
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGDATABASE: database,
    PGCONNECT_TIMEOUT: "10",
    PGAPPNAME: "opsctl verify-backup",
  });
  if (c.password !== undefined) env.PGPASSWORD = c.password;
  if (c.sslmode) env.PGSSLMODE = c.sslmode;
  return env;
}

/** Runs a tool to completion; the signal kills it (SIGTERM, then SIGKILL after 2 s) so teardown is not kept waiting. */
export function run(path: string, args: string[], o: { env?: Record<string, string>; signal?: AbortSignal; maxOutput?: number }): Promise<RunOutcome> {
  const started = Date.now();
  const cap = o.maxOutput ?? 64 * 1024;
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let aborted = false;
    const child = spawn(path, args, { env: o.env ?? {}, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => {
      if (stdout.length < cap) stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < cap) stderr += d.toString("utf8");
    });
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      aborted = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), 2000);
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
    const finish = (code: number | null, signal: string | null, extra = "") => {
      clearTimeout(killTimer);
      o.signal?.removeEventListener("abort", onAbort);
      resolve({ code, signal, stdout, stderr: stderr + extra, durationMs: Date.now() - started, aborted });
    };
    child.on("error", (e) => finish(null, null, `cannot run ${path}: ${e.message}`));
    child.on("close", (code, signal) => finish(code, signal));
  });
}

/** The first lines of a tool's stderr, for a finding (whole dumps of errors help nobody). */
export function firstLines(text: string, n = 3): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, n)
    .join(" | ")
    .slice(0, 500);
}
