import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A real pgBackRest repository (Debian's pgbackrest package): a PostgreSQL cluster on a
// private Unix socket archiving into it, one full backup, then the cluster is stopped.
// Everything runs as the postgres OS user (PostgreSQL refuses root).

export const STANZA = "vbtest";
const PG_MAJOR = (() => {
  const dirs = readdirSync("/usr/lib/postgresql").filter((d) => /^\d+$/.test(d));
  return dirs.sort((a, b) => Number(b) - Number(a))[0] ?? "15";
})();
const BIN = `/usr/lib/postgresql/${PG_MAJOR}/bin`;

export interface Repo {
  base: string;
  configFile: string;
  scratchBase: string;
  runAs: string | undefined;
}

const asPg = (cmd: string, args: string[]) => {
  const root = process.getuid?.() === 0;
  return execFileSync(root ? "runuser" : cmd, root ? ["-u", "postgres", "--", cmd, ...args] : args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
};

export function makeRepo(rows = 2000): Repo {
  const base = mkdtempSync(join(tmpdir(), "opsctl-pgbr-"));
  const root = process.getuid?.() === 0;
  const own = (p: string) => {
    if (!root) return;
    const pw = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"))
      ?.split(":");
    chownSync(p, Number(pw?.[2]), Number(pw?.[3]));
  };
  for (const d of ["repo", "log", "lock", "sock", "scratch"]) {
    mkdirSync(join(base, d));
    own(join(base, d));
  }
  chmodSync(base, 0o755);
  own(base);
  const configFile = join(base, "pgbackrest.conf");
  writeFileSync(
    configFile,
    [
      "[global]",
      `repo1-path=${base}/repo`,
      `log-path=${base}/log`,
      `lock-path=${base}/lock`,
      "log-level-file=off",
      "start-fast=y",
      "repo1-retention-full=9999",
      `[${STANZA}]`,
      `pg1-path=${base}/data`,
      "pg1-port=5432",
      `pg1-socket-path=${base}/sock`,
      "",
    ].join("\n"),
  );
  own(configFile);
  asPg(`${BIN}/initdb`, ["-D", `${base}/data`, "-U", "postgres", "--no-sync", "-A", "trust"]);
  writeFileSync(
    join(base, "data", "postgresql.conf"),
    `${readFileSync(join(base, "data", "postgresql.conf"), "utf8")}\nport=5432\nlisten_addresses=''\nunix_socket_directories='${base}/sock'\narchive_mode=on\narchive_command='pgbackrest --config=${configFile} --stanza=${STANZA} archive-push %p'\nwal_level=replica\nfsync=off\n`,
  );
  asPg(`${BIN}/pg_ctl`, ["-D", `${base}/data`, "-l", `${base}/pg.log`, "-w", "start"]);
  try {
    asPg(`${BIN}/psql`, [
      "-X",
      "-q",
      "-h",
      `${base}/sock`,
      "-U",
      "postgres",
      "-c",
      `create table orders as select g as id, now() as created_at from generate_series(1, ${rows}) g`,
    ]);
    asPg("pgbackrest", [`--config=${configFile}`, `--stanza=${STANZA}`, "stanza-create"]);
    asPg("pgbackrest", [`--config=${configFile}`, `--stanza=${STANZA}`, "--log-level-console=error", "backup", "--type=full"]);
  } finally {
    asPg(`${BIN}/pg_ctl`, ["-D", `${base}/data`, "-m", "fast", "-w", "stop"]);
  }
  return { base, configFile, scratchBase: join(base, "scratch"), runAs: root ? "postgres" : undefined };
}

/** Flips bytes in the largest file of the newest backup set: `pgbackrest verify` must find it. */
export function corruptRepo(repo: Repo): string {
  const backups = join(repo.base, "repo", "backup", STANZA);
  const label = readdirSync(backups)
    .filter((d) => /^\d{8}-\d{6}F/.test(d))
    .sort()
    .at(-1) as string;
  let biggest = "";
  let size = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (statSync(p).size > size) {
        size = statSync(p).size;
        biggest = p;
      }
    }
  };
  walk(join(backups, label, "pg_data"));
  const buf = readFileSync(biggest);
  for (let i = 100; i < 116 && i < buf.length; i++) buf[i] = (buf[i] as number) ^ 0xff;
  writeFileSync(biggest, buf);
  return biggest;
}
