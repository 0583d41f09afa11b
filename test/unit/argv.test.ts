import { describe, expect, test } from "bun:test";
import { parseArgv, wantsJson } from "../../src/cli/argv.ts";
import { cleanupVolumes } from "../../src/commands/cleanup-volumes/index.ts";
import { deployPlan } from "../../src/commands/deploy-plan/index.ts";
import { OpsError } from "../../src/core/errors.ts";

const flags = cleanupVolumes.flags;
const parse = (argv: string[]) => parseArgv(argv, flags, [], "cleanup-volumes");
const problems = (argv: string[]) => {
  try {
    parse(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(OpsError);
    expect((e as OpsError).exit).toBe("usage");
    expect((e as OpsError).hint).toBe("Run 'opsctl cleanup-volumes --help'");
    return (e as OpsError).problems.map((p) => p.message);
  }
  throw new Error("expected a usage error");
};

describe("strict argv parsing", () => {
  test("typed values, repeatable lists, inline and separate values", () => {
    const p = parse(["--environment", "staging", "--older-than=30d", "--include-tag", "team=a", "--include-tag=app=b", "--max-changes", "5", "--dry-run"]);
    expect(p.flags).toEqual({ environment: "staging", "older-than": "30d", "include-tag": ["team=a", "app=b"], "max-changes": 5, "dry-run": true });
    expect(p.given).toEqual(["environment", "older-than", "include-tag", "include-tag", "max-changes", "dry-run"]);
  });

  test("unknown flag names the flag and suggests the closest", () => {
    expect(problems(["--environment", "x", "--older-then", "3d"])).toEqual(["unknown flag --older-then (did you mean --older-than?)"]);
  });

  test("missing required flag and a required flag without a value", () => {
    expect(problems([])).toEqual(["--environment is required: a NAME"]);
    expect(problems(["--environment"])).toEqual(["--environment needs a value: a NAME"]);
    expect(problems(["--environment", "--dry-run"])).toEqual(["--environment needs a value: a NAME"]);
    expect(problems(["--environment="])).toEqual(["--environment needs a non-empty value: a NAME"]);
  });

  test("bad enum, duration, number and tag selector, all reported at once", () => {
    const msgs = problems(["--environment", "x", "--format", "yaml", "--older-than", "30 days", "--max-changes", "-1", "--include-tag", "novalue"]);
    expect(msgs).toEqual([
      "--format: must be one of text, json, got 'yaml'",
      "--older-than: must be a number with a unit s, m, h, d or w (30d, 12h, 90m) or ISO 8601 (P30D, PT12H), got '30 days'",
      "--max-changes: must be a whole number, 0 or more, got '-1'",
      "--include-tag: must be a tag selector KEY=VALUE, got 'novalue'",
    ]);
  });

  test("repeated scalar flags and boolean values", () => {
    expect(problems(["--environment", "a", "--environment", "b"])).toEqual(["--environment was given more than once"]);
    expect(problems(["--environment", "a", "--dry-run=maybe"])).toEqual(["--dry-run takes no value (or =true/=false), got 'maybe'"]);
    expect(parse(["--environment", "a", "--dry-run=false"]).flags["dry-run"]).toBe(false);
  });

  test("echoed input is one short printable line", () => {
    const [msg] = problems(["--environment", "x", `--format=${"\u001b[31m".repeat(1)}${"y".repeat(100_000)}`]);
    expect(msg?.length).toBeLessThan(200);
    expect(msg).not.toContain("\u001b");
  });

  test("-- ends flags; what follows is positional (and unexpected here)", () => {
    expect(problems(["--environment", "x", "--", "--dry-run"])).toEqual(["unexpected argument: --dry-run"]);
  });

  test("--format json is recognised before full parsing", () => {
    expect(wantsJson(["--bogus", "--format", "json"])).toBe(true);
    expect(wantsJson(["--format=json"])).toBe(true);
    expect(wantsJson(["--", "--format=json"])).toBe(false);
    expect(wantsJson(["--format", "text"])).toBe(false);
  });
});

describe("--show-config and required flags", () => {
  const deploy = (argv: string[]) => parseArgv(argv, deployPlan.flags, [], "deploy-plan");
  test("--show-config does not need --image, only the scope flags that choose the configuration", () => {
    expect(deploy(["--service", "billing", "--environment", "prod", "--show-config"]).flags).toEqual({
      service: "billing",
      environment: "prod",
      "show-config": true,
    });
    expect(() => deploy(["--service", "billing", "--show-config"])).toThrow("--environment is required: a NAME");
  });

  test("without --show-config --image is required, with a grammatical placeholder", () => {
    expect(() => deploy(["--service", "billing", "--environment", "prod"])).toThrow("--image is required: an IMAGE");
  });
});
