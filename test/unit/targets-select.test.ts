import { describe, expect, test } from "bun:test";
import { parseArgv } from "../../src/cli/argv.ts";
import { OpsError } from "../../src/core/errors.ts";
import { TARGET_SELECTION_FLAGS } from "../../src/core/targets/flags.ts";
import type { Target, TargetsSpec } from "../../src/core/targets/model.ts";
import { selectTargets } from "../../src/core/targets/select.ts";

const aws = (name: string, account: string, tags: Record<string, string> = {}, extra: Partial<Target> = {}): Target =>
  ({
    kind: "aws",
    name,
    account,
    roles: [],
    regions: ["us-east-1"],
    tags,
    mode: "write",
    source: `t.yaml ${name}`,
    ...extra,
  }) as Target;

const SPEC: TargetsSpec = {
  source: "--targets t.yaml",
  targets: [
    aws("payments-prod", "111111111111", { team: "payments", tier: "prod" }, { environments: ["prod"] }),
    aws("payments-stg", "222222222222", { team: "payments", tier: "staging" }),
    aws("data", "333333333333", { team: "data" }),
    aws("legacy", "999999999999", { team: "payments" }),
    { kind: "kubernetes", name: "clusters", contexts: ["a", "b"], tags: { team: "platform" }, mode: "read-only", source: "t.yaml clusters" },
  ],
  blocked: ["999999999999"],
  blockedFrom: { "999999999999": ["t.yaml blocked[0]"] },
};

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OpsError);
    expect((e as OpsError).exit).toBe("usage");
    return (e as OpsError).problems.map((p) => p.message).join("\n");
  }
  throw new Error("expected a usage error");
}

const names = (s: { targets: Target[] }) => s.targets.map((t) => t.name);

describe("selectTargets", () => {
  test("no names and no tags: every target allowed in the environment, in the file's order; blocked ones listed", () => {
    const s = selectTargets(SPEC, { names: [], tags: [], environment: "staging" });
    expect(names(s)).toEqual(["payments-stg", "data", "clusters"]);
    expect(s.blocked).toEqual([
      { name: "legacy", account: "999999999999", reason: "account 999999999999 is in the blocked list (t.yaml blocked[0]): never targeted" },
    ]);
    expect(s.criteria).toEqual({ names: [], tags: {}, environment: "staging", source: "--targets t.yaml" });
    expect(names(selectTargets(SPEC, { names: [], tags: [], environment: "prod" }))).toEqual(["payments-prod", "payments-stg", "data", "clusters"]);
  });

  test("names AND tags AND environment restrict; several tags must all match", () => {
    expect(names(selectTargets(SPEC, { names: [], tags: ["team=payments"], environment: "prod" }))).toEqual(["payments-prod", "payments-stg"]);
    expect(names(selectTargets(SPEC, { names: [], tags: ["team=payments", "tier=staging"], environment: "prod" }))).toEqual(["payments-stg"]);
    expect(names(selectTargets(SPEC, { names: ["data", "payments-stg"], tags: ["team=payments"], environment: "x" }))).toEqual(["payments-stg"]);
    // The order is the file's, not the command line's.
    expect(names(selectTargets(SPEC, { names: ["clusters", "data"], tags: [], environment: "x" }))).toEqual(["data", "clusters"]);
    expect(selectTargets(SPEC, { names: [], tags: ["team=payments"], environment: "x", source: "config targets" }).criteria).toEqual({
      names: [],
      tags: { team: "payments" },
      environment: "x",
      source: "config targets",
    });
  });

  test("a blocked account is never selected, also when named explicitly", () => {
    const s = selectTargets(SPEC, { names: ["legacy", "data"], tags: [], environment: "staging" });
    expect(names(s)).toEqual(["data"]);
    expect(s.blocked.map((b) => b.name)).toEqual(["legacy"]);
  });

  test("only blocked targets selected: a usage error naming the block list", () => {
    const msg = usage(() => selectTargets(SPEC, { names: ["legacy"], tags: [], environment: "staging" }));
    expect(msg).toContain("no target selected from --targets t.yaml by --target legacy for environment 'staging': every matching target is blocked");
    expect(msg).toContain("t.yaml blocked[0]");
  });

  test("unknown names: all of them at once, with did-you-mean and the list", () => {
    const msg = usage(() => selectTargets(SPEC, { names: ["payments-prd", "zzz"], tags: [], environment: "prod" }));
    expect(msg).toContain(
      "--target payments-prd: no such target in --targets t.yaml (did you mean payments-prod?); targets: payments-prod, payments-stg, data, legacy, clusters",
    );
    expect(msg).toContain("--target zzz: no such target in --targets t.yaml; targets:");
  });

  test("a target named for an environment it is not allowed in is refused, not silently dropped", () => {
    const msg = usage(() => selectTargets(SPEC, { names: ["payments-prod", "data"], tags: [], environment: "staging" }));
    expect(msg).toBe("--target payments-prod: only for environment prod (t.yaml payments-prod), not 'staging'");
  });

  test("an empty selection says which criterion matched nothing", () => {
    expect(usage(() => selectTargets(SPEC, { names: [], tags: ["team=nobody"], environment: "prod" }))).toBe(
      "no target selected from --targets t.yaml by --target-tag team=nobody for environment 'prod': no target has the tag team=nobody",
    );
    expect(usage(() => selectTargets(SPEC, { names: [], tags: ["tier=prod"], environment: "staging" }))).toContain(
      "the matching targets (payments-prod) are not for environment 'staging'",
    );
    expect(usage(() => selectTargets(SPEC, { names: ["data"], tags: ["team=payments"], environment: "x" }))).toContain(
      "no target has the tag team=payments among the named ones",
    );
  });

  test("flags: --target and --target-tag repeat, and their items are checked by the parser", () => {
    const ok = parseArgv(["--target", "a", "--target", "b.c", "--target-tag", "team=x", "--targets", "t.yaml"], TARGET_SELECTION_FLAGS, [], "x");
    expect(ok.flags).toEqual({ target: ["a", "b.c"], "target-tag": ["team=x"], targets: "t.yaml" });
    try {
      parseArgv(["--target", "bad name", "--target-tag", "noequals"], TARGET_SELECTION_FLAGS, [], "x");
      throw new Error("expected a usage error");
    } catch (e) {
      const text = (e as OpsError).problems.map((p) => p.message).join("\n");
      expect(text).toContain("--target: must be a target name: 1-64 letters, digits, '_', '.' or '-', got 'bad name'");
      expect(text).toContain("--target-tag: must be a tag selector KEY=VALUE, got 'noequals'");
    }
  });
});
