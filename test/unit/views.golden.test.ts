import { describe, test } from "bun:test";
import { FakeEc2, volume } from "../support/fake-ec2.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// Views are checked in-process with a frozen clock and the EC2 fake; the same
// commands run against moto end to end in test/e2e.

const CONFIG = "region: us-east-1\nprotectedEnvironments: [prod]\naws:\n  secretAccessKey: env:AWS_SECRET\n  accessKeyId: AKIDEXAMPLE\n";

function fixture() {
  return new FakeEc2([
    volume("vol-0a1", { ageDays: 88, sizeGiB: 100, tags: { Environment: "staging", Name: "old-scratch" } }),
    volume("vol-0a2", { ageDays: 45, tags: { Environment: "staging" } }),
    volume("vol-0b1", { ageDays: 3 }),
    volume("vol-0c1", { tags: { Environment: "staging", "opsctl:protect": "true", Name: "keep-me" } }),
    volume("vol-0d1", { state: "in-use", attachments: [{ instanceId: "i-0abc", state: "attached" }] }),
    volume("vol-0e1", { tags: { Environment: "prod" } }),
  ]);
}

async function run(name: string, argv: string[], ec2 = fixture()) {
  const repo = tempRepo({ "opsctl.config.yaml": CONFIG }, name);
  const env = { HOME: "/home/operator", XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state`, AWS_SECRET: "s3cr3t-value" };
  const r = await runInProcess(argv, { cwd: repo, env, providers: { ec2: async () => ec2 } });
  // Durations are wall-clock: the only field the frozen clock does not fix.
  const norm = (t: string) => normalise(t, { "<repo>": repo }).replace(/"durationMs": \d+/g, '"durationMs": 0');
  expectGolden(`${name}.stdout`, norm(r.stdout));
  expectGolden(`${name}.stderr`, norm(r.stderr));
  expectGolden(`${name}.exit`, `${r.code}\n`);
}

describe("golden views", () => {
  for (const format of ["text", "json"]) {
    test(`dry-run plan (${format})`, () => run(`plan-dry-run.${format}`, ["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", format]));
    test(`apply result (${format})`, () =>
      run(`apply-result.${format}`, ["cleanup-volumes", "--environment", "staging", "--snapshot-first", "--format", format]));
    test(`partial result (${format})`, () => {
      const ec2 = fixture();
      ec2.failDelete.set(
        "vol-0a2",
        Object.assign(new Error("We currently do not have sufficient capacity"), { name: "InsufficientCapacity", $metadata: { httpStatusCode: 503 } }),
      );
      return run(`apply-partial.${format}`, ["cleanup-volumes", "--environment", "staging", "--format", format], ec2);
    });
    test(`validation failure (${format})`, () => {
      const ec2 = fixture();
      ec2.deny.add("vol-0a1");
      return run(`validation-failed.${format}`, ["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", format], ec2);
    });
    test(`show-config (${format})`, () =>
      run(`show-config.${format}`, ["cleanup-volumes", "--environment", "staging", "--older-than", "45d", "--show-config", "--format", format]));
    test(`usage error (${format})`, () =>
      run(`usage-error.${format}`, ["cleanup-volumes", "--environmnt", "staging", "--older-than", "soon", "--format", format]));
    test(`exit codes (${format})`, () => run(`exit-codes.${format}`, ["exit-codes", "--format", format]));
  }
  // Near-misses (too young, attached, other environment) are listed only with --verbose, in either format.
  test("dry-run plan with near-misses (json, --verbose)", () =>
    run("plan-dry-run-verbose.json", ["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", "--verbose"]));
  test("help", () => run("help-cleanup-volumes", ["cleanup-volumes", "--help"]));
  test("root help", () => run("help-root", ["--help"]));
});
