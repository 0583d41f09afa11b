import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";
import { runShipped, type Shipped, shippedLinux } from "../support/shipped.ts";

// Every shipped Linux binary started in a directory someone else wrote (a shared /tmp,
// a checked-out pull request): nothing in it may run or configure opsctl. The only
// files opsctl reads there are the documented repository config files.

const moto = new Moto();

/** Each file leaves a marker (or redirects a run) if it is ever loaded. */
function hostile(dir: string): void {
  const mark = (name: string) =>
    `require("node:fs").writeFileSync(${JSON.stringify(join(dir, `LOADED-${name}`))}, "x"); console.error("HOSTILE ${name} RAN");\n`;
  writeFileSync(join(dir, "evil.ts"), mark("preload"));
  writeFileSync(join(dir, "evil-main.js"), mark("package-main"));
  writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\n[run]\npreload = ["./evil.ts"]\n');
  writeFileSync(
    join(dir, ".env"),
    [
      "OPSCTL_AWS__ENDPOINT=http://127.0.0.1:9",
      "OPSCTL_REGION=eu-hostile-1",
      "OPSCTL_GUARDRAILS__MAX_DELETIONS=0",
      "AWS_ACCESS_KEY_ID=HOSTILEKEY",
      "AWS_SECRET_ACCESS_KEY=hostile-secret",
      "AWS_REGION=eu-hostile-1",
      "AWS_ENDPOINT_URL=http://127.0.0.1:9",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, ".env.local"), "OPSCTL_REGION=eu-hostile-2\n");
  writeFileSync(join(dir, ".env.production"), "OPSCTL_REGION=eu-hostile-3\n");
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { paths: { "*": ["./evil.ts"] }, baseUrl: "." } }));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x", type: "commonjs", main: "evil-main.js", imports: { "#*": "./evil.ts" } }));
}

function assertNothingLoaded(dir: string, stderr: string): void {
  expect(readdirSync(dir).filter((f) => f.startsWith("LOADED-"))).toEqual([]);
  expect(stderr).not.toContain("HOSTILE");
}

beforeAll(async () => {
  await moto.reset();
  await moto.volume({ name: "old", ageDays: 90, tags: { Environment: "staging" } });
});

describe.each(shippedLinux().map((s): [string, Shipped] => [s.target, s]))("%s in a hostile working directory", (_target, bin) => {
  test("--version and version: nothing from bunfig.toml, .env, tsconfig.json or package.json runs", async () => {
    const { dir, env } = workspace(moto.url);
    hostile(dir);
    const v = await runShipped(bin, ["--version"], { cwd: dir, env });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(v.stderr).toBe("");
    const j = await runShipped(bin, ["version", "--format", "json"], { cwd: dir, env });
    expect(j.code).toBe(0);
    expect(j.json.result.target).toBe(bin.target);
    assertNothingLoaded(dir, v.stderr + j.stderr);
  }, 120_000);

  test("config comes only from the documented layers: no key from .env", async () => {
    const { dir, env } = workspace(moto.url);
    hostile(dir);
    const r = await runShipped(bin, ["config", "show", "--environment", "staging", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    const keys = r.json.result.keys as { key: string; value: unknown; source: string }[];
    expect(keys.filter((k) => k.source.startsWith("env "))).toEqual([]);
    expect(keys.find((k) => k.key === "aws.endpoint")?.value).toBe(moto.url);
    expect(keys.find((k) => k.key === "region")?.value).toBe("us-east-1");
    expect(r.stdout).not.toContain("hostile");
    assertNothingLoaded(dir, r.stderr);
  }, 120_000);

  test("a dry run reaches the configured endpoint with the operator's credentials, not the .env's", async () => {
    const { dir, env } = workspace(moto.url);
    hostile(dir);
    const r = await runShipped(bin, ["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.json.scope).toEqual({ environment: "staging", region: "us-east-1" });
    expect(r.json.plan.actions).toHaveLength(1);
    // maxDeletions 0 from the .env would have failed the guardrail check.
    expect(r.json.plan.checks.every((c: { status: string }) => c.status === "passed")).toBe(true);
    assertNothingLoaded(dir, r.stderr);
  }, 120_000);

  test("BUN_OPTIONS set: opsctl refuses to run (exit 2) and says why", async () => {
    const { dir, env } = workspace(moto.url);
    hostile(dir);
    rmSync(join(dir, "bunfig.toml"));
    const r = await runShipped(bin, ["cleanup-volumes", "--environment", "staging"], { cwd: dir, env: { ...env, BUN_OPTIONS: "--preload ./evil.ts" } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("opsctl: refusing to run: BUN_OPTIONS is set in the environment");
    // The runtime ran the preload before opsctl's first line (documented in README "Security"):
    // the refusal keeps opsctl from acting in that process, nothing more.
    expect(existsSync(join(dir, "LOADED-preload"))).toBe(true);
    expect(await moto.volumeIds()).toHaveLength(1);
  }, 120_000);

  test("KNOWN GAP (README Security): BUN_BE_BUN=1 turns the binary into the bun CLI before opsctl's code runs", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runShipped(bin, ["-e", "console.log('be-bun:' + (typeof Bun))"], { cwd: dir, env: { ...env, BUN_BE_BUN: "1" } });
    // If a Bun release closes this, this test fails: then update README "Security".
    expect(r.stdout).toBe("be-bun:object\n");
    expect(r.code).toBe(0);
  }, 120_000);
});
