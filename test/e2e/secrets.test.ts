import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { IamSeeder } from "../support/iam-seed.ts";
import { Moto } from "../support/moto.ts";

// A canary secret in every config layer and every kind of secret reference; every
// command, format, error path and plan file is scanned for it.

const CANARY = {
  repoLiteral: "CANARY-repo-literal-5b1f0c",
  envLayer: "CANARY-env-layer-9e2d41",
  envRef: "CANARY-env-ref-77aa03",
  fileRef: "CANARY-file-ref-3c9e6d",
  userLiteral: "CANARY-user-literal-d4e8b2",
  numeric: "424242424242",
};

const moto = new Moto();

function setup(endpoint: string, extra = "") {
  const ws = workspace(endpoint, `  accessKeyId: ${CANARY.repoLiteral}\n  secretAccessKey: ${CANARY.repoLiteral}\n${extra}`, {
    "secret-token.txt": `${CANARY.fileRef}\n`,
  });
  ws.env = {
    ...ws.env,
    OPSCTL_AWS__SECRET_ACCESS_KEY: CANARY.envLayer,
    SESSION_CANARY: CANARY.envRef,
  };
  return ws;
}

function userConfig(dir: string, body: string) {
  const { mkdirSync, writeFileSync } = require("node:fs") as typeof import("node:fs");
  mkdirSync(join(dir, "home", ".config", "opsctl"), { recursive: true });
  writeFileSync(join(dir, "home", ".config", "opsctl", "config.yaml"), body);
}

function expectClean(label: string, ...texts: string[]) {
  for (const t of texts)
    for (const [name, value] of Object.entries(CANARY)) {
      if (t.includes(value)) throw new Error(`${label}: canary ${name} leaked:\n${t.slice(Math.max(0, t.indexOf(value) - 200), t.indexOf(value) + 100)}`);
    }
}

describe("secrets never appear", () => {
  beforeAll(async () => {
    await moto.reset();
    await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
    await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
  });

  test("in any output of any command, format, error path or plan file", async () => {
    const { dir, env } = setup(moto.url);
    userConfig(
      dir,
      `aws:\n  sessionToken: env:SESSION_CANARY\nenvironments:\n  staging:\n    aws:\n      accessKeyId: file:${join(dir, "secret-token.txt")}\n`,
    );
    const runs: [string, string[], Record<string, string>?][] = [
      ["show-config text", ["cleanup-volumes", "--environment", "staging", "--show-config"]],
      ["show-config json", ["cleanup-volumes", "--environment", "staging", "--show-config", "--format", "json"]],
      ["config show", ["config", "show", "--environment", "staging", "--format", "json"]],
      ["dry run text verbose", ["cleanup-volumes", "--environment", "staging", "--dry-run", "--verbose", "--out", "plan.json"]],
      ["dry run json", ["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", "--out", "plan2.json"]],
      ["usage error", ["cleanup-volumes", "--environment", "staging", "--bogus", "--format", "json"]],
      ["guardrail", ["cleanup-volumes", "--environment", "staging", "--max-changes", "0", "--verbose"]],
      ["account mismatch", ["cleanup-volumes", "--environment", "staging", "--account", "111111111111", "--format", "json"]],
      ["unreachable", ["cleanup-volumes", "--environment", "staging", "--verbose"], { OPSCTL_AWS__ENDPOINT: "http://127.0.0.1:9" }],
      ["missing env ref", ["cleanup-volumes", "--environment", "staging", "--dry-run"], { SESSION_CANARY: "" }],
      ["apply json", ["cleanup-volumes", "--environment", "staging", "--verbose", "--format", "json"]],
    ];
    for (const [label, args, extraEnv] of runs) {
      const r = await runBin(args, { cwd: dir, env: { ...env, ...extraEnv } });
      expect(r.code).not.toBe(1);
      expectClean(label, r.stdout, r.stderr);
    }
    expectClean("plan files", readFileSync(join(dir, "plan.json"), "utf8"), readFileSync(join(dir, "plan2.json"), "utf8"));
    // The secrets were really used: the apply above ran with them against moto.
    expect(await moto.volumeIds()).toEqual([]);
  });

  test("show-config says where a secret came from instead of its value", async () => {
    const { dir, env } = setup(moto.url);
    userConfig(dir, `aws:\n  sessionToken: env:SESSION_CANARY\n`);
    const r = await runBin(["config", "show", "--format", "json"], { cwd: dir, env });
    const keys = Object.fromEntries(r.json.result.keys.map((k: { key: string; value: unknown; shadowed: unknown[] }) => [k.key, k]));
    expect(keys["aws.secretAccessKey"].value).toBe("set (from env OPSCTL_AWS__SECRET_ACCESS_KEY)");
    expect(keys["aws.secretAccessKey"].shadowed).toEqual([
      { value: `set (from ${join(dir, "opsctl.config.yaml")}: aws.secretAccessKey)`, source: `${join(dir, "opsctl.config.yaml")}: aws.secretAccessKey` },
    ]);
    expect(keys["aws.sessionToken"].value).toBe("set (from env:SESSION_CANARY)");
  });

  test("a config error in a file holding a secret names the key, not the value", async () => {
    const { dir, env } = setup(moto.url);
    userConfig(dir, `aws:\n  secretAccessKey: ${CANARY.userLiteral}\n  bogusKey: ${CANARY.userLiteral}\n  sessionToken: ${CANARY.numeric}\n`);
    const r = await runBin(["cleanup-volumes", "--environment", "staging", "--dry-run"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("aws.bogusKey: unknown key");
    expect(r.stderr).toContain("aws.sessionToken: expected string (value not shown: secret)");
    expectClean("config error", r.stdout, r.stderr);
  });
});

describe("secrets never appear in access reviews", () => {
  test("access-review (text, csv file, json, unreachable) and access-revoke (dry run, plan file, apply, audit)", async () => {
    await moto.reset();
    const seeded = await new IamSeeder(moto).seed([
      { name: "stale-user", keys: [{ ageDays: 200, usedDaysAgo: 120 }] },
      { name: "console-user", password: true },
    ]);
    const { dir, env } = setup(moto.url);
    userConfig(dir, `aws:\n  sessionToken: env:SESSION_CANARY\n`);
    const runs: [string, string[], number, Record<string, string>?][] = [
      ["review text verbose", ["access-review", "--environment", "staging", "--verbose"], 10],
      ["review csv", ["access-review", "--environment", "staging", "--format", "csv", "--out", "review.csv"], 10],
      ["review json", ["access-review", "--environment", "staging", "--format", "json", "--out", "review.json"], 10],
      ["review unreachable", ["access-review", "--environment", "staging", "--verbose", "--format", "json"], 4, { OPSCTL_AWS__ENDPOINT: "http://127.0.0.1:9" }],
    ];
    for (const [label, args, code, extraEnv] of runs) {
      const r = await runBin(args, { cwd: dir, env: { ...env, ...extraEnv } });
      expect([label, r.code]).toEqual([label, code]);
      expectClean(label, r.stdout, r.stderr);
    }
    const csv = readFileSync(join(dir, "review.csv"), "utf8");
    writeFileSync(join(dir, "decisions.csv"), csv.replace(new RegExp(`(${seeded["stale-user"]?.[0]}[^\\r]*),,\\r\\n`), "$1,revoke,canary test\r\n"));
    for (const [label, args, code] of [
      [
        "revoke dry run",
        ["access-revoke", "--environment", "staging", "--decisions", "decisions.csv", "--dry-run", "--verbose", "--out", "revoke-plan.json"],
        10,
      ],
      ["revoke apply json", ["access-revoke", "--environment", "staging", "--decisions", "decisions.csv", "--format", "json", "--verbose"], 0],
    ] as const) {
      const r = await runBin([...args], { cwd: dir, env });
      expect([label, r.code]).toEqual([label, code]);
      expectClean(label, r.stdout, r.stderr);
    }
    expectClean("review files", csv, readFileSync(join(dir, "review.json"), "utf8"), readFileSync(join(dir, "revoke-plan.json"), "utf8"));
    expectClean("audit", readFileSync(join(dir, "home", ".state", "opsctl", "audit.jsonl"), "utf8"));
  });
});
