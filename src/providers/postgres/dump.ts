import { type Connection, firstLines, libpqEnv, run, type Tool } from "./pg-tools.ts";

// A pg_dump custom-format archive, checked the way pg_restore reads it: the header (in
// the plan, from the first bytes only), the table of contents (`--list`), every data
// block decompressed end to end (`-f /dev/null`), and a real restore into a database.

export interface DumpHeader {
  archiveVersion: string;
  format: "custom" | "tar" | "directory" | "unknown";
  /** The dumping host's local time, as pg_dump records it (no zone). */
  createdLocal?: string;
  database?: string;
  serverVersion?: string;
  dumpVersion?: string;
}

export const HEADER_BYTES = 4096;

/** Reads pg_dump's archive header (ReadHead in pg_backup_archiver.c); a string says why it is not one. */
export function parseDumpHeader(buf: Uint8Array): DumpHeader | string {
  const text = (a: number, b: number) => new TextDecoder().decode(buf.subarray(a, b));
  if (buf.length < 8 || text(0, 5) !== "PGDMP") return "not a pg_dump custom-format archive (no PGDMP magic): was it dumped with -Fc?";
  let p = 5;
  const byte = () => {
    if (p >= buf.length) throw new Error("header truncated");
    return buf[p++] as number;
  };
  try {
    const vmaj = byte();
    const vmin = byte();
    const vrev = byte();
    const intSize = byte();
    byte(); // offSize
    const fmt = byte();
    const v = vmaj * 10_000 + vmin * 100 + vrev;
    const readInt = () => {
      const sign = byte();
      let n = 0;
      for (let i = 0; i < intSize; i++) n += byte() * 2 ** (8 * i);
      return sign ? -n : n;
    };
    const readStr = () => {
      const len = readInt();
      if (len < 0) return undefined;
      if (p + len > buf.length) throw new Error("header truncated");
      const s = text(p, p + len);
      p += len;
      return s;
    };
    if (v >= 11_500)
      byte(); // compression algorithm
    else if (v >= 10_200) readInt(); // compression level
    const out: DumpHeader = {
      archiveVersion: `${vmaj}.${vmin}.${vrev}`,
      format: fmt === 1 ? "custom" : fmt === 3 ? "tar" : fmt === 5 ? "directory" : "unknown",
    };
    if (v >= 10_400) {
      const [sec, min, hour, mday, mon, year] = [readInt(), readInt(), readInt(), readInt(), readInt(), readInt()];
      readInt(); // isdst
      const pad = (n: number) => String(n).padStart(2, "0");
      out.createdLocal = `${1900 + year}-${pad(mon + 1)}-${pad(mday)} ${pad(hour)}:${pad(min)}:${pad(sec)}`;
      out.database = readStr();
    }
    if (v >= 11_000) {
      out.serverVersion = readStr();
      out.dumpVersion = readStr();
    }
    return out;
  } catch (e) {
    return `archive header unreadable: ${(e as Error).message}`;
  }
}

export interface StepOutcome {
  ok: boolean;
  detail: string;
  durationMs: number;
  aborted: boolean;
}

/** `pg_restore --list`: the table of contents must read. Counts its entries. */
export async function listArchive(tool: Tool, path: string, signal?: AbortSignal): Promise<StepOutcome & { entries: number }> {
  const r = await run(tool.path, ["--list", path], { env: baseEnv(), signal, maxOutput: 4 * 1024 * 1024 });
  const entries = r.stdout.split("\n").filter((l) => /^\d+;/.test(l)).length;
  const ok = r.code === 0 && entries > 0;
  return {
    ok,
    entries,
    durationMs: r.durationMs,
    aborted: r.aborted,
    detail: ok
      ? `table of contents reads: ${entries} entries`
      : `pg_restore --list failed (exit ${r.code ?? r.signal}): ${firstLines(r.stderr) || "no entries"}`,
  };
}

/** `pg_restore -f /dev/null`: every data block is read and decompressed, without a server. */
export async function readThrough(tool: Tool, path: string, signal?: AbortSignal): Promise<StepOutcome> {
  const r = await run(tool.path, ["--file", "/dev/null", path], { env: baseEnv(), signal });
  const ok = r.code === 0;
  return {
    ok,
    durationMs: r.durationMs,
    aborted: r.aborted,
    detail: ok
      ? "every data block reads and decompresses"
      : `pg_restore could not read the archive through (exit ${r.code ?? r.signal}): ${firstLines(r.stderr)}`,
  };
}

/**
 * Restores into an existing (empty) scratch database. --exit-on-error makes the first
 * failing statement fail the restore (pg_restore otherwise carries on and only counts
 * errors); --no-owner/--no-privileges because production roles need not exist on the
 * scratch server, and they are not what a restore test is about.
 */
export async function restoreArchive(
  tool: Tool,
  path: string,
  conn: Connection,
  database: string,
  o: { signal?: AbortSignal; jobs: number; env: Record<string, string | undefined> },
): Promise<StepOutcome> {
  const args = ["--exit-on-error", "--no-owner", "--no-privileges", "--dbname", database, ...(o.jobs > 1 ? ["--jobs", String(o.jobs)] : []), path];
  const r = await run(tool.path, args, { env: libpqEnv(conn, database, o.env), signal: o.signal });
  const ok = r.code === 0;
  return {
    ok,
    durationMs: r.durationMs,
    aborted: r.aborted,
    detail: ok
      ? `restored in ${(r.durationMs / 1000).toFixed(1)} s`
      : r.aborted
        ? "restore interrupted"
        : `pg_restore failed (exit ${r.code ?? r.signal}): ${firstLines(r.stderr)}`,
  };
}

function baseEnv(): Record<string, string> {
  // --list and -f /dev/null touch no server: no libpq settings, nothing secret.
  return { PATH: "/usr/bin:/bin", LANG: "C" };
}
