import { describe, test } from "bun:test";
import { fakeFixture } from "../support/fake-pg.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// db-maintenance's views with a frozen clock (2026-11-28) and the named FAKE port;
// the command runs against the real primary and replica in test/e2e/db-maintenance.test.ts.

const CONFIG = `protectedEnvironments: [prod]
dbMaintenance:
  reindexMinSize: 1MB
environments:
  staging:
    dbMaintenance:
      dsn: env:PG_DSN
      replicas:
        replica1: env:PG_REPLICA_DSN
`;

async function run(name: string, argv: string[], o: { replicaDown?: boolean } = {}) {
  const repo = tempRepo({ "opsctl.config.yaml": CONFIG }, name);
  const env = {
    HOME: "/home/operator",
    XDG_CONFIG_HOME: `${repo}/.xdg`,
    XDG_STATE_HOME: `${repo}/.state`,
    PG_DSN: "postgres://maint:golden-secret-pw@db.internal:5432/app",
    PG_REPLICA_DSN: "postgres://maint:golden-secret-pw@replica.internal:5432/app",
  };
  const primary = fakeFixture("postgres://maint@db.internal:5432/app");
  const replica = fakeFixture("postgres://maint@replica.internal:5432/app", true);
  const r = await runInProcess(argv, {
    cwd: repo,
    env,
    providers: {
      postgresMaintenance: async (dsn: string) => {
        if (!dsn.includes("replica.internal")) return primary;
        if (o.replicaDown) throw Object.assign(new Error("connect ECONNREFUSED 10.0.0.9:5432"), { code: "ECONNREFUSED" });
        return replica;
      },
    },
  });
  const norm = (t: string) => normalise(t, { "<repo>": repo }).replace(/"durationMs": \d+/g, '"durationMs": 0');
  expectGolden(`${name}.stdout`, norm(r.stdout));
  expectGolden(`${name}.stderr`, norm(r.stderr));
  expectGolden(`${name}.exit`, `${r.code}\n`);
}

describe("db-maintenance golden views", () => {
  for (const format of ["text", "json"]) {
    test(`drop-unused-indexes dry run with a replica (${format})`, () =>
      run(`db-maintenance-drop-unused.${format}`, ["db-maintenance", "drop-unused-indexes", "--environment", "staging", "--dry-run", "--format", format]));
    test(`an unreachable replica: no evidence, no drop (${format})`, () =>
      run(`db-maintenance-replica-down.${format}`, ["db-maintenance", "drop-unused-indexes", "--environment", "staging", "--dry-run", "--format", format], {
        replicaDown: true,
      }));
    test(`terminate-idle-transactions dry run (${format})`, () =>
      run(`db-maintenance-terminate.${format}`, [
        "db-maintenance",
        "terminate-idle-transactions",
        "--environment",
        "staging",
        "--dry-run",
        "--format",
        format,
      ]));
    test(`reindex apply result (${format})`, () =>
      run(`db-maintenance-reindex.${format}`, ["db-maintenance", "reindex", "--environment", "staging", "--format", format]));
    test(`vacuum and analyze dry runs, near misses listed (${format})`, async () => {
      await run(`db-maintenance-vacuum.${format}`, ["db-maintenance", "vacuum", "--environment", "staging", "--dry-run", "--verbose", "--format", format]);
      await run(`db-maintenance-analyze.${format}`, ["db-maintenance", "analyze", "--environment", "staging", "--dry-run", "--format", format]);
    });
  }
  test("help", () => run("help-db-maintenance", ["db-maintenance", "--help"]));
});
