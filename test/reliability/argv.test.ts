import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { wantsJson } from "../../src/cli/argv.ts";
import { root } from "../../src/commands/index.ts";
import { type BadArgv, badArgv, badTopLevel, baseArgv, type Leaf } from "../support/argv-gen.ts";
import { runBin } from "../support/bin.ts";
import { cloudState, pool } from "../support/cloud-state.ts";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";
import { violations } from "../support/outcome.ts";
import { codeCounts, mdTable, recordSection } from "../support/reliability-log.ts";
import { allLeaves } from "../support/team.ts";

// At least 500 generated bad command lines per command (walked from the registry) and at
// the top level, run through the compiled binary against moto holding volumes that the
// valid base command line would delete: the exit code is documented and never 1 (exactly
// 2 where the input is certainly invalid), nothing crashes, and moto is unchanged.

const PER_COMMAND = 500;
const CONCURRENCY = 6;
const moto = new Moto();
const KNOWN = { environment: "staging", since: "1h", out: "targets.yaml" };
const POSITIONALS: Record<string, string> = { plan: "plan.json", id: "no-such-lock" };
/** Flags a base command line needs beyond the required ones, so that it would really act. */
const EXTRA: Record<string, string[]> = { "lock release": ["--force"], "targets sync": ["--from-organization"] };
const rows: { command: string; base?: number; tried: number; categories: number; exact2: number; codes: string; failures: number }[] = [];
let initial = "";

beforeAll(async () => {
  await moto.reset();
  for (let i = 0; i < 3; i++) await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
  await moto.volume({ ageDays: 90, tags: { Environment: "prod" } });
  initial = await cloudState(moto);
});

afterAll(() => {
  recordSection("1-argv", {
    title: "1. Bad arguments",
    body: [
      `${rows.reduce((n, r) => n + r.tried, 0)} generated command lines (seeded), at least ${PER_COMMAND} per command and at the top level: unknown, misspelled and odd-dash flags, missing and empty values, bad typed values, booleans given values, repeated flags, \`--\` tricks, unicode and control characters, 100 kB strings, stray and missing arguments, several problems at once. Each mutates a valid command line that would act (for \`cleanup-volumes\`, an apply that would delete the seeded volumes; for \`apply\`, a valid saved plan).`,
      "",
      "Checked on every run: a documented exit code and never 1 (exactly 2 where the input is certainly invalid), no stack trace, no raw control characters, output under 64 kB, one JSON envelope with a matching exit code when `--format json` was given, nothing on stdout for a text usage error; and moto's volumes, tags and snapshots unchanged after each command's batch.",
      "",
      mdTable(
        ["command", "base command line exits", "inputs", "categories", "expected exactly 2", "exit codes seen", "failures"],
        rows.map((r) => [
          `\`${r.command || "(top level)"}\``,
          r.command === "apply" ? "not run: it would apply the saved plan" : (r.base ?? "–"),
          r.tried,
          r.categories,
          r.exact2,
          r.codes,
          r.failures,
        ]),
      ),
      "",
      `The "base command line exits" column is how the valid command line ends (a plannable one tried as a dry run): \`cleanup-volumes\` exits 10 there, so the real run, which is what the inputs mutate, would delete the seeded volumes. ${
        rows.filter((r) => r.base === 2).length
          ? `${rows
              .filter((r) => r.base === 2)
              .map((r) => `\`${r.command}\``)
              .join(
                ", ",
              )} are not configured in this moto-only workspace (e.g. no deploy target, no certificate service), so their base ends in 2 for that reason; for them every expected-2 input must report its own problem, never only that configuration error.`
          : ""
      }`,
      "",
      `Cloud state changed by bad input: ${rows.some((r) => r.failures) ? "see failures" : "never"}. Inputs lost or unaccounted for: none.`,
    ].join("\n"),
  });
});

async function runMatrix(
  label: string,
  cases: BadArgv[],
  ws: { dir: string; env: Record<string, string> },
  base = { baseCode: 2, baseErrors: [] as string[] },
  bin?: string,
) {
  const failures: string[] = [];
  const codes: number[] = [];
  await pool(cases, CONCURRENCY, async (c) => {
    const r = await runBin(c.argv, { cwd: ws.dir, env: ws.env, timeoutMs: 30_000, bin });
    codes.push(r.code);
    const v = violations(r, {
      code: c.expect === 2 ? 2 : undefined,
      json: wantsJson(c.argv),
      maxOutput: c.echoes || label === "schema" ? 1024 * 1024 : undefined,
    });
    if (c.expect === 2 && base.baseErrors.some((m) => (r.stdout + r.stderr).includes(m)))
      v.push("only the base command line's own error: the mutation went unnoticed");
    if (v.length)
      failures.push(
        `${c.category}: ${JSON.stringify(c.argv.map((a) => (a.length > 60 ? `${a.slice(0, 20)}…(${a.length})` : a)))} → ${v.join("; ")}\n${r.stderr.slice(0, 300)}`,
      );
  });
  const after = await cloudState(moto);
  rows.push({
    command: label,
    base: label ? base.baseCode : undefined,
    tried: cases.length,
    categories: new Set(cases.map((c) => c.category)).size,
    exact2: cases.filter((c) => c.expect === 2).length,
    codes: codeCounts(codes),
    failures: failures.length + (after === initial ? 0 : 1),
  });
  expect(failures.slice(0, 10)).toEqual([]);
  expect(after).toBe(initial);
}

describe("bad arguments", () => {
  const all = allLeaves();
  test("the generator covers every command in the registry", () => {
    expect(all.length).toBeGreaterThanOrEqual(9);
    for (const leaf of all) expect(badArgv(leaf, baseArgv(leaf, KNOWN, POSITIONALS), PER_COMMAND, 1).length).toBe(PER_COMMAND);
  });

  test(`top level: ${PER_COMMAND} bad command lines`, async () => {
    const ws = workspace(moto.url);
    await runMatrix("", badTopLevel(root, PER_COMMAND, 7), ws);
  }, 300_000);

  all.forEach((leaf: Leaf, i) => {
    const path = leaf.words.join(" ");
    test(`${path}: ${PER_COMMAND} bad command lines`, async () => {
      const ws = workspace(moto.url);
      const base = [...baseArgv(leaf, KNOWN, POSITIONALS), ...(EXTRA[path] ?? [])];
      if (path === "apply") {
        const saved = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run", "--out", "plan.json"], { cwd: ws.dir, env: ws.env });
        expect(saved.code).toBe(10);
      }
      // How the valid base command line itself ends: a plannable one is tried as a dry run. `apply FILE` has no
      // dry run: its base would apply the saved plan for real, which is the point (a mutation let through deletes).
      const control =
        path === "apply"
          ? { code: 0, json: { errors: [] } }
          : await runBin([...base, ...(leaf.cmd.kind === "plannable" ? ["--dry-run"] : []), "--format", "json"], { cwd: ws.dir, env: ws.env, bin: leaf.bin });
      expect(control.code).not.toBe(1);
      if (path === "cleanup-volumes") expect(control.code).toBe(10); // it would delete the seeded volumes
      // A command this workspace does not configure (its base ends in 2 for that reason) must report the
      // mutation, not only its own configuration error: else a mutation could go unnoticed.
      const baseErrors: string[] = control.code === 2 ? (control.json?.errors ?? []).map((e: { message: string }) => e.message) : [];
      await runMatrix(path, badArgv(leaf, base, PER_COMMAND, 100 + i), ws, { baseCode: control.code, baseErrors }, leaf.bin);
    }, 300_000);
  });
});
