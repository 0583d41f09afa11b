import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { firstLines, run } from "../postgres/pg-tools.ts";

// pgBackRest through its own CLI (Debian's package; measured with 2.45): `info` for the
// recovery points, `verify --output=text` for checksums of every file and WAL continuity
// (2.45 exits 0 even when it finds invalid files, so its text is read), `restore` into a
// scratch data directory, and the matching PostgreSQL started there on a private Unix
// socket (no TCP listener) with archiving off, so it can never push WAL into the
// production repository.

export interface PgBackRestOptions {
  binary: string;
  configFile?: string;
  /** OS user that owns the repository and runs PostgreSQL (needed when opsctl runs as root). */
  runAs?: string;
  /** Directory with pg_ctl; default: /usr/lib/postgresql/<backup's major>/bin. */
  pgBin?: string;
}

export interface BackupSet {
  label: string;
  type: string;
  stop: Date;
  sizeBytes: number;
  repoSizeBytes: number;
  pgVersion: string;
  error: boolean;
}

export interface VerifyReport {
  ok: boolean;
  detail: string;
}

export interface ScratchCluster {
  dir: string;
  socketDir: string;
  port: number;
}

export interface PgBackRestPort {
  backups(stanza: string, signal?: AbortSignal): Promise<BackupSet[]>;
  verify(stanza: string, label: string, signal?: AbortSignal): Promise<VerifyReport>;
  restore(stanza: string, label: string, dir: string, signal?: AbortSignal): Promise<{ ok: boolean; detail: string; durationMs: number; aborted: boolean }>;
  /** Starts PostgreSQL on the restored data and waits until recovery has ended. */
  start(cluster: ScratchCluster, pgVersion: string, timeoutMs: number, signal?: AbortSignal): Promise<{ ok: boolean; detail: string; durationMs: number }>;
  stop(cluster: ScratchCluster, pgVersion: string): Promise<"removed" | "not-found">;
  /** Creates a private scratch directory (owned by runAs) under base. */
  makeScratchDir(base: string, name: string, marker: Record<string, string>): string;
  /** opsctl scratch directories under base, with their markers. */
  leftovers(base: string): { dir: string; marker: Record<string, string> }[];
  removeDir(dir: string): "removed" | "not-found";
}

export const MARKER_FILE = "opsctl-verify-backup.json";

export function createPgBackRest(o: PgBackRestOptions, env: Record<string, string | undefined>): PgBackRestPort {
  const baseEnv = { PATH: env.PATH ?? "/usr/bin:/bin", LANG: "C" };
  const wrap = (cmd: string, args: string[]): [string, string[]] => (o.runAs ? ["runuser", ["-u", o.runAs, "--", cmd, ...args]] : [cmd, args]);
  const pgbr = (stanza: string, args: string[], signal?: AbortSignal) => {
    const [cmd, argv] = wrap(o.binary, [...(o.configFile ? [`--config=${o.configFile}`] : []), `--stanza=${stanza}`, "--log-level-console=warn", ...args]);
    return run(cmd, argv, { env: baseEnv, signal, maxOutput: 8 * 1024 * 1024 });
  };
  const pgBin = (version: string) => o.pgBin ?? `/usr/lib/postgresql/${version.split(".")[0]}/bin`;
  const owner = () => {
    if (!o.runAs) return undefined;
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${o.runAs}:`));
    const [, , uid, gid] = line?.split(":") ?? [];
    if (uid === undefined || gid === undefined) throw new Error(`verifyBackup.pgbackrest.runAs: no OS user '${o.runAs}'`);
    return { uid: Number(uid), gid: Number(gid) };
  };

  return {
    async backups(stanza, signal) {
      const r = await pgbr(stanza, ["info", "--output=json"], signal);
      if (r.code !== 0) throw new Error(`pgbackrest info failed (exit ${r.code ?? r.signal}): ${firstLines(r.stderr || r.stdout)}`);
      // biome-ignore lint/suspicious/noExplicitAny: pgBackRest's info JSON, read field by field
      const doc = JSON.parse(r.stdout) as any[];
      const st = doc.find((s) => s.name === stanza);
      if (!st) return [];
      if (st.status?.code !== 0 && st.status?.code !== 2) throw new Error(`pgbackrest info: stanza ${stanza}: ${st.status?.message ?? "unknown status"}`);
      // biome-ignore lint/suspicious/noExplicitAny: see above
      const dbVersion = (id: number) => String(st.db?.find((d: any) => d.id === id)?.version ?? "");
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return (st.backup ?? []).map((b: any) => ({
        label: String(b.label),
        type: String(b.type),
        stop: new Date(Number(b.timestamp?.stop ?? 0) * 1000),
        sizeBytes: Number(b.info?.size ?? 0),
        repoSizeBytes: Number(b.info?.repository?.size ?? 0),
        pgVersion: dbVersion(Number(b.database?.id)),
        error: Boolean(b.error),
      }));
    },
    async verify(stanza, label, signal) {
      const r = await pgbr(stanza, ["verify", "--output=text", "--verbose"], signal);
      const status = /^status: (\w+)/m.exec(r.stdout)?.[1];
      const backupLine = r.stdout.split("\n").findIndex((l) => l.includes(`backup: ${label},`));
      const backupStatus = backupLine >= 0 ? /status: (\w+)/.exec(r.stdout.split("\n")[backupLine] as string)?.[1] : undefined;
      const wal = r.stdout.split("\n").find((l) => l.includes("total WAL checked"));
      const ok = r.code === 0 && status === "ok" && backupStatus === "valid";
      const counts = [
        backupLine >= 0 ? r.stdout.split("\n")[backupLine]?.trim() : `backup ${label} not reported`,
        r.stdout.split("\n")[backupLine + 1]?.trim(),
        wal?.trim(),
      ]
        .filter(Boolean)
        .join("; ");
      return {
        ok,
        detail: r.code !== 0 ? `pgbackrest verify failed (exit ${r.code ?? r.signal}): ${firstLines(r.stderr)}` : `verify status ${status ?? "?"}: ${counts}`,
      };
    },
    async restore(stanza, label, dir, signal) {
      const args = ["restore", `--pg1-path=${join(dir, "data")}`, `--set=${label}`, "--type=immediate", "--target-action=promote", "--archive-mode=off"];
      const r = await pgbr(stanza, args, signal);
      const ok = r.code === 0;
      return {
        ok,
        durationMs: r.durationMs,
        aborted: r.aborted,
        detail: ok ? `restored ${label}` : `pgbackrest restore failed (exit ${r.code ?? r.signal}): ${firstLines(r.stderr || r.stdout)}`,
      };
    },
    async start(c, pgVersion, timeoutMs, signal) {
      const data = join(c.dir, "data");
      // Only opsctl reaches this socket (a 0700 directory): trust is safe, and production
      // pg_hba rules (passwords, hosts) do not apply to a scratch copy.
      writeFileSync(join(data, "pg_hba.conf"), "local all all trust\n");
      const own = owner();
      if (own) chownSync(join(data, "pg_hba.conf"), own.uid, own.gid);
      const opts = `-p ${c.port} -c listen_addresses='' -c unix_socket_directories='${c.socketDir}' -c archive_mode=off`;
      const [cmd, argv] = wrap(join(pgBin(pgVersion), "pg_ctl"), [
        "-D",
        data,
        "-l",
        join(c.dir, "postgres.log"),
        "-w",
        "-t",
        String(Math.ceil(timeoutMs / 1000)),
        "-o",
        opts,
        "start",
      ]);
      const r = await run(cmd, argv, { env: baseEnv, signal });
      const log = existsSync(join(c.dir, "postgres.log")) ? readFileSync(join(c.dir, "postgres.log"), "utf8") : "";
      if (r.code !== 0) {
        // pg_ctl only says "see the log": the server's own FATAL/PANIC lines say why.
        const why = log.split("\n").filter((l) => /(FATAL|PANIC|ERROR):/.test(l));
        return {
          ok: false,
          durationMs: r.durationMs,
          detail: `PostgreSQL did not start on the restored data (pg_ctl exit ${r.code ?? r.signal}): ${firstLines(why.join("\n") || r.stderr)}`,
        };
      }
      return { ok: true, durationMs: r.durationMs, detail: "started" };
    },
    async stop(c, pgVersion) {
      const data = join(c.dir, "data");
      if (!existsSync(join(data, "postmaster.pid"))) return "not-found";
      const [cmd, argv] = wrap(join(pgBin(pgVersion), "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "-t", "20", "stop"]);
      const r = await run(cmd, argv, { env: baseEnv });
      if (r.code !== 0 && existsSync(join(data, "postmaster.pid"))) throw new Error(`pg_ctl stop failed: ${firstLines(r.stderr)}`);
      return "removed";
    },
    makeScratchDir(base, name, marker) {
      const dir = join(base, name);
      mkdirSync(dir, { recursive: false, mode: 0o700 });
      writeFileSync(join(dir, MARKER_FILE), JSON.stringify(marker));
      const own = owner();
      if (own) {
        chownSync(dir, own.uid, own.gid);
        chownSync(join(dir, MARKER_FILE), own.uid, own.gid);
      }
      chmodSync(dir, 0o700);
      return dir;
    },
    leftovers(base) {
      if (!existsSync(base)) return [];
      const out: { dir: string; marker: Record<string, string> }[] = [];
      for (const name of readdirSync(base)) {
        if (!name.startsWith("opsctl-verify-")) continue;
        const file = join(base, name, MARKER_FILE);
        try {
          out.push({ dir: join(base, name), marker: JSON.parse(readFileSync(file, "utf8")) });
        } catch {
          // not ours (or not readable): left alone
        }
      }
      return out;
    },
    removeDir(dir) {
      if (!existsSync(dir)) return "not-found";
      rmSync(dir, { recursive: true, force: true });
      return "removed";
    },
  };
}
