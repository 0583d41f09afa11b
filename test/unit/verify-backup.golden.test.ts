import { describe, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeEbs, fakePgBackRest, fakeS3, fakeScratchServer } from "../support/fake-backups.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// verify-backup's plan and result views with a frozen clock (2026-11-28T12:00Z) and the
// named fakes of test/support/fake-backups.ts.

const CONFIG = `region: us-east-1
environments:
  prod:
    verifyBackup:
      sources:
        - ebs-snapshots:tag:backup=orders-db
        - s3://backups-prod/nightly/
        - pgdump:/backups/missing.dump
        - pgdump:orders.dump
        - pgbackrest:main
      maxAge: 26h
      scratch: { dsn: "env:SCRATCH_DSN", directory: /var/tmp/opsctl }
      probes:
        - { sql: "select count(*) from orders where created_at > now() - interval '2 days'", expect: "1000:" }
`;

// A pg_dump custom-format header (archive 1.14, PostgreSQL 15): enough for the plan, which reads only the first bytes.
function dumpHeader(): Buffer {
  const int = (n: number) => Buffer.from([0, n & 0xff, (n >> 8) & 0xff, 0, 0]);
  const str = (s: string) => Buffer.concat([int(s.length), Buffer.from(s)]);
  return Buffer.concat([
    Buffer.from("PGDMP"),
    Buffer.from([1, 14, 0, 4, 8, 1]),
    int(6),
    ...[0, 0, 3, 28, 10, 126, 0].map(int),
    str("orders"),
    str("15.18"),
    str("15.18"),
  ]);
}

async function run(name: string, argv: string[], mtime = "2026-11-28T03:30:00Z") {
  const repo = tempRepo({ "opsctl.config.yaml": CONFIG }, name);
  writeFileSync(join(repo, "orders.dump"), dumpHeader());
  const { utimesSync } = await import("node:fs");
  utimesSync(join(repo, "orders.dump"), new Date(mtime), new Date(mtime));
  const env = {
    HOME: "/home/operator",
    XDG_CONFIG_HOME: `${repo}/.xdg`,
    XDG_STATE_HOME: `${repo}/.state`,
    SCRATCH_DSN: "postgres://verify:golden-pw@scratch-db.internal/postgres",
    PATH: process.env.PATH ?? "",
  };
  const r = await runInProcess(argv, {
    cwd: repo,
    env,
    providers: {
      ebsRestore: async () => fakeEbs(),
      s3Backups: async () => fakeS3(),
      pgScratch: async () => fakeScratchServer(),
      pgbackrest: async () => fakePgBackRest(),
    },
  });
  // pg_restore comes from the host: its version and path are not the view's business.
  const norm = (t: string) =>
    normalise(t, { "<repo>": repo })
      .replace(/pg_restore \(PostgreSQL\) [\d.]+[^ "]* at [^ ";\n]+/g, "pg_restore (PostgreSQL) <version> at <path>")
      .replace(/"durationMs": \d+/g, '"durationMs": 0')
      // The evidence digest covers measured durations, which vary run to run.
      .replace(/("evidenceDigest": "|Evidence digest: )sha256:[0-9a-f]{64}/g, "$1sha256:<evidence>");
  expectGolden(`${name}.stdout`, norm(r.stdout));
  expectGolden(`${name}.stderr`, norm(r.stderr));
  expectGolden(`${name}.exit`, `${r.code}\n`);
}

describe("verify-backup golden views", () => {
  for (const format of ["text", "json"]) {
    test(`dry-run plan at restore (${format})`, () =>
      run(`verify-backup-plan.${format}`, ["verify-backup", "--environment", "prod", "--level", "restore", "--dry-run", "--format", format]));
    test(`integrity result with findings (${format})`, () =>
      run(`verify-backup-result.${format}`, [
        "verify-backup",
        "--environment",
        "prod",
        "--level",
        "integrity",
        "--source",
        "s3://backups-prod/nightly/",
        "--source",
        "ebs-snapshots:tag:backup=orders-db",
        "--source",
        "pgdump:/backups/missing.dump",
        "--yes",
        "--concurrency",
        "1",
        "--format",
        format,
      ]));
  }
});
