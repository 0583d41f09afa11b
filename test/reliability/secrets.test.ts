import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { baseArgv } from "../support/argv-gen.ts";
import { runBin } from "../support/bin.ts";
import { pool } from "../support/cloud-state.ts";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";
import { violations } from "../support/outcome.ts";
import { mdTable, recordSection } from "../support/reliability-log.ts";
import { allLeaves } from "../support/team.ts";

// A canary in every config layer (repository, user, environment variables, an
// environment block) and every kind of secret reference (literal, env:, file:), on every
// secret key; every command from the registry, in text and JSON, on its normal path,
// verbose, a usage error, a config error and an unreachable endpoint; then every file the
// runs wrote (plan files, audit log, locks). No canary may appear anywhere.

const CANARY = {
  akidFileRef: "CANARY-akid-fileref-6f1d",
  secretEnvLayer: "CANARY-secret-envlayer-0b7e",
  secretRepoLiteral: "CANARY-secret-repo-93ac",
  sessionEnvRef: "CANARY-session-envref-41d2",
  dsnUserLiteral: "CANARY-dsn-user-c58e",
  dsnEnvRef: "CANARY-dsn-envref-7a90",
  pdnsKeyRepoLiteral: "CANARY-pdns-key-repo-2e4f",
  pdnsKeyEnvRef: "CANARY-pdns-key-envref-8c13",
  incidentDsnEnvRef: "CANARY-incident-dsn-2e4b",
  scratchDsnLiteral: "CANARY-scratch-dsn-2e6b",
  fleetExternalIdLiteral: "CANARY-fleet-extid-4a71",
  fleetExternalIdEnvRef: "CANARY-fleet-extid-env-93d0",
};
const INPUTS = new Set(["opsctl.config.yaml", "config.yaml", "akid.txt", "bad-user.yaml", "fleet.yaml"]);
const moto = new Moto();
const POSITIONALS: Record<string, string> = { plan: "plan.json", id: "no-such-lock" };
const EXTRA: Record<string, string[]> = {
  "lock release": ["--force"],
  "targets sync": ["--from-organization", "--environment", "staging"],
  "targets list": ["--targets", "fleet.yaml"],
};
const rows: { command: string; runs: number; codes: string; leaks: number }[] = [];
let filesScanned = 0;

function setup() {
  const ws = workspace(
    moto.url,
    `  secretAccessKey: ${CANARY.secretRepoLiteral}\n  sessionToken: env:SESSION_CANARY\nguardrails:\n  maxDeletions: 1000\ndns:\n  powerdns:\n    apiUrl: http://127.0.0.1:9\n    apiKey: ${CANARY.pdnsKeyRepoLiteral}\ncollectIncident:\n  include: [aws, postgres]\n  postgres:\n    dsn: env:INCIDENT_DSN_CANARY\nverifyBackup:\n  sources: ["pgdump:/nonexistent/orders.dump"]\n  level: restore\n  scratch:\n    dsn: postgres://scratch:${CANARY.scratchDsnLiteral}@127.0.0.1:9/postgres\n`,
    {
      "akid.txt": `${CANARY.akidFileRef}\n`,
      // A targets file (for `targets list`): external ids, a literal and an env: reference.
      "fleet.yaml": `targets:\n  - { name: a, kind: aws, account: "111111111111", roles: ["arn:aws:iam::111111111111:role/x"], externalId: ${CANARY.fleetExternalIdLiteral}, regions: [us-east-1] }\n  - { name: b, kind: aws, account: "222222222222", externalId: "env:FLEET_EXTID_CANARY", regions: [us-east-1] }\n`,
    },
  );
  mkdirSync(join(ws.dir, "home", ".config", "opsctl"), { recursive: true });
  writeFileSync(
    join(ws.dir, "home", ".config", "opsctl", "config.yaml"),
    `lock:\n  postgres:\n    dsn: postgres://opsctl:${CANARY.dsnUserLiteral}@127.0.0.1:9/opsctl\nenvironments:\n  staging:\n    aws:\n      accessKeyId: file:${join(ws.dir, "akid.txt")}\n`,
  );
  ws.env = {
    ...ws.env,
    OPSCTL_AWS__SECRET_ACCESS_KEY: CANARY.secretEnvLayer,
    OPSCTL_LOCK__POSTGRES__DSN: "env:PG_DSN_CANARY",
    PG_DSN_CANARY: `postgres://opsctl:${CANARY.dsnEnvRef}@127.0.0.1:9/opsctl`,
    SESSION_CANARY: CANARY.sessionEnvRef,
    FLEET_EXTID_CANARY: CANARY.fleetExternalIdEnvRef,
    OPSCTL_DNS__POWERDNS__API_KEY: "env:PDNS_KEY_CANARY",
    PDNS_KEY_CANARY: CANARY.pdnsKeyEnvRef,
    // collect-incident's DSN: a server that is not there, so every path reports the failure.
    INCIDENT_DSN_CANARY: `postgres://opsctl:${CANARY.incidentDsnEnvRef}@127.0.0.1:9/opsctl`,
  };
  return ws;
}

function leaks(text: string): string[] {
  return Object.entries(CANARY)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) return name === ".git" ? [] : filesUnder(p);
    return INPUTS.has(name) ? [] : [p];
  });
}

beforeAll(async () => {
  await moto.reset();
  for (let i = 0; i < 3; i++) await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
});

afterAll(() => {
  recordSection("3-secrets", {
    title: "3. Secrets",
    body: [
      `Canaries: ${Object.keys(CANARY).length} secret values — a \`file:\` reference in the user config's \`environments.staging\` block (\`aws.accessKeyId\`), a literal in the \`OPSCTL_AWS__SECRET_ACCESS_KEY\` environment layer shadowing a literal in the repository config, an \`env:\` reference (\`aws.sessionToken\`), a literal DSN in the user config shadowed by an \`env:\` reference in the environment layer (\`lock.postgres.dsn\`), a literal PowerDNS API key in the repository config shadowed by an \`env:\` reference in the environment layer (\`dns.powerdns.apiKey\`), a literal scratch-server DSN in the repository config (\`verifyBackup.scratch.dsn\`, which verify-backup connects to and finds unreachable), a literal and an \`env:\` external id in a targets file (\`targets list --targets fleet.yaml\`). The apply really runs against moto with them.`,
      "",
      "Every command from the registry, in text and JSON, each on its normal path, with `--verbose`, with an unknown flag (usage error), with an unreachable endpoint, and with a config error next to a secret; `cleanup-volumes` also with `--show-config` and `--dry-run --out` (plan file). Afterwards every file the runs wrote is scanned (plan files, the audit log, lock files).",
      "",
      mdTable(
        ["command", "runs", "exit codes", "leaks"],
        rows.map((r) => [`\`${r.command}\``, r.runs, r.codes, r.leaks]),
      ),
      "",
      `Files written by the runs and scanned: ${filesScanned}. Canaries found anywhere: ${rows.some((r) => r.leaks) ? "**yes**" : "none"}.`,
    ].join("\n"),
  });
});

describe("secrets never appear", () => {
  test("in any command, format, error path or file written", async () => {
    const ws = setup();
    const found: string[] = [];
    const variants: [string, string[], Record<string, string>][] = [
      ["normal", [], {}],
      ["verbose", ["--verbose"], {}],
      ["usage error", ["--bogus-flag"], {}],
      ["unreachable endpoint", ["--verbose"], { OPSCTL_AWS__ENDPOINT: "http://127.0.0.1:9" }],
      ["config error beside a secret", [], { XDG_CONFIG_HOME: join(ws.dir, "bad-user") }],
    ];
    mkdirSync(join(ws.dir, "bad-user", "opsctl"), { recursive: true });
    writeFileSync(
      join(ws.dir, "bad-user", "opsctl", "config.yaml"),
      `aws:\n  secretAccessKey: ${CANARY.secretRepoLiteral}x\n  sessionToken: 12345\n  bogus: ${CANARY.dsnUserLiteral}\n`,
    );
    // Plans first (apply needs one), made with every secret in play.
    const plannable = allLeaves().filter((l) => l.cmd.kind === "plannable");
    for (const leaf of plannable) {
      for (const args of [
        ["--dry-run", "--out", "plan.json", "--verbose"],
        ["--dry-run", "--format", "json", "--out", `plan-${leaf.words.join("-")}.json`],
        ["--show-config"],
        ["--show-config", "--format", "json"],
      ]) {
        const r = await runBin([...baseArgv(leaf, { environment: "staging", since: "1h", out: "targets.yaml" }, POSITIONALS), ...args], {
          cwd: ws.dir,
          env: ws.env,
          bin: leaf.bin,
        });
        for (const k of leaks(r.stdout + r.stderr)) found.push(`${leaf.words.join(" ")} ${args.join(" ")}: ${k}`);
        expect(r.code).not.toBe(1);
      }
    }
    for (const leaf of allLeaves()) {
      const path = leaf.words.join(" ");
      const base = [...baseArgv(leaf, { environment: "staging", since: "1h", out: "targets.yaml" }, POSITIONALS), ...(EXTRA[path] ?? [])];
      const codes: number[] = [];
      let leaked = 0;
      const runs = variants.flatMap(([name, extra, env]) => [false, true].map((json) => ({ name, extra, env, json })));
      await pool(runs, 3, async (v) => {
        const argv = [...base, ...v.extra, ...(v.json ? ["--format", "json"] : [])];
        const r = await runBin(argv, { cwd: ws.dir, env: { ...ws.env, ...v.env }, bin: leaf.bin });
        codes.push(r.code);
        const bad = [...leaks(r.stdout), ...leaks(r.stderr)];
        leaked += bad.length;
        for (const k of bad) found.push(`${path} ${v.name} ${v.json ? "json" : "text"}: ${k}`);
        // `schema` prints the JSON Schema, which grows with every command's config section: not an unbounded echo.
        const problems = violations(r, { json: v.json, maxOutput: path === "schema" ? 1024 * 1024 : undefined });
        if (problems.length) found.push(`${path} ${v.name}: ${problems.join("; ")}`);
      });
      rows.push({ command: path, runs: runs.length, codes: [...new Set(codes)].sort((a, b) => a - b).join(", "), leaks: leaked });
    }
    const written = filesUnder(ws.dir);
    filesScanned = written.length;
    for (const f of written) for (const k of leaks(readFileSync(f, "utf8"))) found.push(`file ${relative(ws.dir, f)}: ${k}`);
    expect(written.some((f) => f.endsWith("audit.jsonl"))).toBe(true);
    expect(written.some((f) => f.endsWith("plan.json"))).toBe(true);
    expect(found).toEqual([]);
    // The secrets were really used: the apply ran with them and deleted the volumes.
    expect(await moto.volumeIds()).toEqual([]);
  }, 180_000);
});
