import { describe, expect, test } from "bun:test";
import { runCli } from "../../src/cli/app.ts";
import { Redactor } from "../../src/config/redact.ts";
import type { Deps } from "../../src/core/deps.ts";
import { createIam } from "../../src/providers/aws/iam.ts";
import { awsOptions, createRegistry, defineReport } from "../../src/sdk/index.ts";
import { tempRepo } from "../support/tmp.ts";

// defineReport: a read-only command whose result is a report. Its clients refuse mutations for the whole run.

let refused = "";
const probe = defineReport({
  name: "probe",
  description: "A report command that tries to change something",
  version: "1.0.0",
  providers: ["iam"],
  permissions: ["iam:TagUser"],
  formats: ["csv"],
  scope: { region: false },
  async run(ctx) {
    const iam = await ctx.provider("iam", { ...awsOptions(ctx), region: "us-east-1" });
    try {
      await iam.tagUser("someone", { a: "b" });
    } catch (e) {
      refused = `${(e as Error).name}: ${(e as Error).message}`;
    }
    return { result: { users: 2 }, findings: 2, render: { text: () => "two findings\n", csv: () => "a,b\r\n1,2\r\n" } };
  },
});

async function run(argv: string[]) {
  const cwd = tempRepo({ "opsctl.config.yaml": "aws:\n  endpoint: http://127.0.0.1:9\n" });
  let stdout = "";
  let stderr = "";
  const deps: Deps = {
    env: { HOME: cwd, XDG_CONFIG_HOME: `${cwd}/.xdg`, XDG_STATE_HOME: `${cwd}/.state`, AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" },
    cwd,
    now: () => new Date("2026-11-28T12:00:00Z"),
    stdout: {
      write: (t) => {
        stdout += t;
      },
      isTTY: false,
    },
    stderr: {
      write: (t) => {
        stderr += t;
      },
      isTTY: false,
    },
    stdinIsTTY: false,
    prompt: async () => undefined,
    signal: new AbortController().signal,
    providers: { iam: createIam },
    build: { version: "0.1.0", commit: "test", target: "source" },
    runtime: "test",
    redactor: new Redactor(),
  };
  const code = await runCli(argv, createRegistry({ name: "opsctl", description: "test", commands: { probe } }), deps);
  return { code, stdout, stderr, cwd };
}

describe("report commands", () => {
  test("clients refuse mutations before they are sent; findings are exit 10; each --format has its renderer", async () => {
    const text = await run(["probe", "--environment", "dev"]);
    expect(refused).toStartWith("MutationRefused: iam TagUser was refused while planning");
    expect([text.code, text.stdout]).toEqual([10, "two findings\n"]);
    const csv = await run(["probe", "--environment", "dev", "--format", "csv"]);
    expect(csv.stdout).toBe("a,b\r\n1,2\r\n");
    const json = await run(["probe", "--environment", "dev", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ mode: "info", result: { users: 2 }, exit: { code: 10, name: "changes" } });
  }, 30_000);

  test("--out writes the report instead of stdout; an unusable path is exit 2 naming it", async () => {
    const ok = await run(["probe", "--environment", "dev", "--format", "csv", "--out", "r.csv"]);
    expect([ok.code, ok.stdout]).toEqual([10, ""]);
    expect(await Bun.file(`${ok.cwd}/r.csv`).text()).toBe("a,b\r\n1,2\r\n");
    const bad = await run(["probe", "--environment", "dev", "--out", "/nonexistent/dir/r.txt"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("cannot write /nonexistent/dir/r.txt (ENOENT)");
  }, 30_000);
});
