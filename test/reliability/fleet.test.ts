import { afterAll, describe, expect, test } from "bun:test";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { FleetMoto, holdLock, roleArn } from "../support/fleet-moto.ts";
import { violations } from "../support/outcome.ts";
import { mdTable, recordSection } from "../support/reliability-log.ts";

// Multi-scope runs (one command over several accounts × regions) under the failures a
// fleet meets: a role that cannot be assumed, an account whose role may not delete, a
// scope whose lock is held, every scope failing. Each scenario runs as a dry run and as
// an apply, in text and JSON, against moto-auth (IAM enforced: the denials are the
// server's). The exit code must be the documented aggregate, stdout one JSON document
// with --format json, every failed scope named, and moto must hold what the result says.

const A = "111111111111";
const B = "222222222222";
const C = "333333333333";
const REGIONS = ["us-east-1", "eu-west-1"];
const moto = new FleetMoto();

interface Scenario {
  name: string;
  targets: { name: string; account: string }[];
  denied?: string[];
  noDelete?: string[];
  locked?: string;
  /** Expected exit: dry run, apply. */
  exit: [number, number];
  /** Scopes that fail (named on stderr / in errors): dry run, apply. */
  failing: [string[], string[]];
}

const both = (n: string) => REGIONS.map((r) => `${n}/${r}`);
const SCENARIOS: Scenario[] = [
  {
    name: "every scope ok",
    targets: [
      { name: "pay", account: A },
      { name: "data", account: B },
    ],
    exit: [10, 0],
    failing: [[], []],
  },
  {
    name: "one role cannot be assumed",
    targets: [
      { name: "pay", account: A },
      { name: "data", account: B },
      { name: "denied", account: C },
    ],
    denied: [C],
    exit: [5, 5],
    failing: [both("denied"), both("denied")],
  },
  {
    name: "one account's role may not delete (DryRun refused)",
    targets: [
      { name: "pay", account: A },
      { name: "data", account: B },
    ],
    noDelete: [B],
    exit: [5, 5],
    failing: [both("data"), both("data")],
  },
  {
    name: "one scope's lock is held (dry runs take no lock)",
    targets: [
      { name: "pay", account: A },
      { name: "data", account: B },
    ],
    locked: `cleanup-volumes/staging/us-east-1/${A}`,
    exit: [10, 5],
    failing: [[], ["pay/us-east-1"]],
  },
  { name: "every role denied", targets: [{ name: "denied", account: C }], denied: [C], exit: [4, 4], failing: [both("denied"), both("denied")] },
  {
    name: "every scope fails validation",
    targets: [{ name: "data", account: B }],
    noDelete: [B],
    exit: [3, 3],
    failing: [both("data"), both("data")],
  },
];

const rows: (string | number)[][] = [];
afterAll(() => {
  recordSection("5-fleet", {
    title: "5. Multi-scope runs",
    body: [
      `${rows.length} runs: each scenario seeds two old volumes per account and region on moto-auth and runs \`opsctl cleanup-volumes --environment staging --targets targets.yaml\` as a dry run and as an apply, in text and JSON. "Lost" counts volumes whose state differs from what the run reported (deleted in a scope not reported applied, or still there in a scope reported applied); it must be 0.`,
      "",
      mdTable(["scenario", "mode", "format", "expected exit", "exit", "failed scopes named", "deleted", "lost"], rows),
    ].join("\n"),
  });
});

function targetsYaml(s: Scenario): string {
  const t = s.targets.map(
    (x) => `  - name: ${x.name}\n    kind: aws\n    account: "${x.account}"\n    roles: ["${roleArn(x.account)}"]\n    regions: [${REGIONS.join(", ")}]\n`,
  );
  return `targets:\n${t.join("")}`;
}

describe("multi-scope runs under failure", () => {
  test(`${SCENARIOS.length} scenarios × dry run/apply × text/JSON: documented aggregate exit, failed scopes named, nothing lost`, async () => {
    const failures: string[] = [];
    for (const s of SCENARIOS) {
      for (const mode of ["dry-run", "apply"] as const) {
        for (const format of ["text", "json"] as const) {
          const accounts = [...new Set(s.targets.map((t) => t.account))];
          const operator = await moto.setup(accounts, s.denied ?? [], s.noDelete ?? []);
          const seeded: Record<string, string[]> = {};
          for (const a of accounts)
            for (const r of REGIONS) {
              seeded[`${a}/${r}`] = [];
              for (let k = 0; k < 2; k++) seeded[`${a}/${r}`]?.push(await moto.volume(a, r, { ageDays: 90, tags: { Environment: "staging" } }));
            }
          const w = workspace(moto.url, "", { "targets.yaml": targetsYaml(s) });
          w.env.AWS_ACCESS_KEY_ID = operator.accessKeyId;
          w.env.AWS_SECRET_ACCESS_KEY = operator.secretAccessKey;
          if (s.locked) holdLock(w.env.XDG_STATE_HOME as string, s.locked);
          const args = ["cleanup-volumes", "--environment", "staging", "--targets", "targets.yaml", "--format", format];
          if (mode === "dry-run") args.push("--dry-run");
          const r = await runBin(args, { cwd: w.dir, env: w.env, timeoutMs: 120_000 });
          const want = s.exit[mode === "dry-run" ? 0 : 1];
          const failing = s.failing[mode === "dry-run" ? 0 : 1];
          const label = `${s.name} / ${mode} / ${format}`;
          const problems = violations(r, { code: want, json: format === "json" });
          const errors = format === "json" ? JSON.stringify(r.json?.errors ?? []) : r.stderr;
          const unnamed = failing.filter((n) => !errors.includes(`scope ${n}:`));
          if (unnamed.length) problems.push(`failed scopes not named: ${unnamed.join(", ")}`);
          // What the run says was applied, per scope, against what moto holds.
          let deleted = 0;
          let lost = 0;
          const statusOf = (name: string): string | undefined =>
            format === "json"
              ? r.json?.fleet?.scopes?.find((x: { name: string }) => x.name === name)?.status
              : new RegExp(`^\\s+${name.replace("/", "\\/")}\\s+\\S+\\s+\\S+\\s+\\S+\\s+(\\S+)`, "m").exec(r.stdout)?.[1];
          for (const t of s.targets)
            for (const region of REGIONS) {
              const left = await moto.volumeIds(t.account, region);
              const gone = (seeded[`${t.account}/${region}`] ?? []).filter((id) => !left.includes(id)).length;
              deleted += gone;
              const applied = statusOf(`${t.name}/${region}`) === "applied";
              if (applied ? gone !== 2 : gone !== 0) lost += applied ? 2 - gone : gone;
            }
          if (mode === "dry-run" && deleted) problems.push(`a dry run deleted ${deleted} volume(s)`);
          if (lost) problems.push(`${lost} volume(s) differ from the reported scope statuses`);
          rows.push([s.name, mode, format, want, r.code, unnamed.length ? "**no**" : failing.length ? "yes" : "-", deleted, lost]);
          if (problems.length) failures.push(`${label}: ${problems.join("; ")}\n${errors.slice(0, 400)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
