import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { root } from "../../src/commands/index.ts";
import { activateConfigFor } from "../../src/config/model.ts";
import { Redactor } from "../../src/config/redact.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import type { Config } from "../../src/config/schema.ts";
import { OpsError } from "../../src/core/errors.ts";
import { showConfigReport } from "../../src/core/show-config.ts";
import { describeConfigKey, loadTargets } from "../../src/core/targets/load.ts";
import { tempRepo } from "../support/tmp.ts";

beforeAll(() => activateConfigFor(root));

const FILE = `targets:
  - name: payments-prod
    kind: aws
    account: "111111111111"
    roles: ["arn:aws:iam::111111111111:role/opsctl"]
    externalId: env:PAYMENTS_EXTERNAL_ID
    regions: [us-east-1, eu-west-1]
    tags: { team: payments }
    mode: write
  - name: data
    kind: aws
    account: "222222222222"
    regions: all
    mode: read-only
  - name: clusters
    kind: kubernetes
    contexts: [kind-a, kind-b]
blocked: ["999999999999"]
`;

const resolve = (cwd: string, env: Record<string, string> = {}, environment?: string) =>
  resolveConfig({ cwd, env: { HOME: cwd, XDG_CONFIG_HOME: join(cwd, ".xdg"), ...env }, flags: [], redactor: new Redactor(), environment });

async function usage(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OpsError);
    expect((e as OpsError).exit).toBe("usage");
    return (e as OpsError).problems.map((x) => `${x.message}${x.source ? ` @ ${x.source.name}${x.source.key ? `#${x.source.key}` : ""}` : ""}`);
  }
  throw new Error("expected a usage error");
}

describe("loadTargets from a file", () => {
  test("the issue's shape, with defaults applied and where each target was defined", async () => {
    const dir = tempRepo({ "t.yaml": FILE });
    const spec = await loadTargets({ file: "t.yaml", cwd: dir, config: (await resolve(dir)).config });
    expect(spec.source).toBe("--targets t.yaml");
    expect(spec.blocked).toEqual(["999999999999"]);
    expect(spec.targets.map((t) => [t.name, t.kind, t.mode, t.source])).toEqual([
      ["payments-prod", "aws", "write", "t.yaml targets[0]"],
      ["data", "aws", "read-only", "t.yaml targets[1]"],
      ["clusters", "kubernetes", "write", "t.yaml targets[2]"],
    ]);
    const data = spec.targets[1];
    expect(data?.kind === "aws" && [data.roles, data.regions, data.tags]).toEqual([[], "all", {}]);
  });

  test("JSON works the same", async () => {
    const dir = tempRepo({ "t.json": JSON.stringify({ targets: [{ name: "a", kind: "aws", account: "111111111111", regions: ["us-east-1"] }] }) });
    const spec = await loadTargets({ file: "t.json", cwd: dir, config: (await resolve(dir)).config });
    expect(spec.targets.map((t) => t.name)).toEqual(["a"]);
  });

  test("every schema problem at once, each naming the file and the key path", async () => {
    const dir = tempRepo({
      "t.yaml": `targets:
  - name: ok
    kind: aws
    account: 111111111111
    roles: ["arn:aws:iam::111111111111:user/bob"]
    regions: [us-east-1, Mars]
  - name: "bad name!"
    kind: kubernetes
    contexts: []
    moed: write
  - name: ok
    kind: gcp
  - name: nore
    kind: aws
    account: "123"
    regions: []
blocked: [12]
extra: 1
`,
    });
    const problems = await usage(loadTargets({ file: "t.yaml", cwd: dir, config: (await resolve(dir)).config }));
    const text = problems.join("\n");
    for (const want of [
      "t.yaml: targets[0].account: account must be a quoted string of 12 digits",
      "got 111111111111 @ t.yaml#targets[0].account",
      "targets[0].roles[0]: must be a role ARN",
      "targets[0].regions: not a region such as us-east-1: 'Mars'",
      "targets[1].name: must be a target name",
      "targets[1].contexts: must list at least one kubeconfig context",
      "targets[1].moed: unknown key (did you mean 'mode'?)",
      'targets[2].kind: kind must be "aws" or "kubernetes"',
      "targets[3].account: account must be exactly 12 digits",
      'targets[3].regions: must list at least one region (or be "all")',
      "blocked[0]: a blocked account id must be a quoted string of 12 digits",
      "(top level).extra: unknown key".replace("(top level).", ""),
    ]) {
      expect(text).toContain(want);
    }
    expect(problems.length).toBeGreaterThanOrEqual(11);
  });

  test("duplicate names are refused, naming both entries", async () => {
    const t = `{ name: a, kind: kubernetes, contexts: [x] }`;
    const dir = tempRepo({ "t.yaml": `targets:\n  - ${t}\n  - ${t}\n` });
    expect((await usage(loadTargets({ file: "t.yaml", cwd: dir, config: (await resolve(dir)).config }))).join()).toContain(
      "target name 'a' is used twice (targets[0] and targets[1])",
    );
  });

  test("unreadable, unparsable, wrong format, empty: each a usage error naming the file", async () => {
    const dir = tempRepo({ "broken.yaml": "targets: [\n", "t.txt": "x", "empty.yaml": "targets: []\n", "list.yaml": "- a\n" });
    const config = (await resolve(dir)).config;
    const one = async (file: string) => (await usage(loadTargets({ file, cwd: dir, config }))).join("\n");
    expect(await one("missing.yaml")).toContain("missing.yaml: no such file");
    expect(await one("broken.yaml")).toContain("broken.yaml: does not parse");
    expect(await one("t.txt")).toContain("t.txt: unsupported targets file format '.txt'");
    expect(await one("empty.yaml")).toContain("empty.yaml: targets: the list is empty");
    expect(await one("list.yaml")).toContain("list.yaml: the top level must be a mapping");
    expect(await one(".")).toContain("is a directory");
  });

  test("a secret external id never appears in messages", async () => {
    const dir = tempRepo({ "t.yaml": 'targets:\n  - { name: a, kind: aws, account: "111111111111", regions: [us-east-1], externalId: 12345678 }\n' });
    const text = (await usage(loadTargets({ file: "t.yaml", cwd: dir, config: (await resolve(dir)).config }))).join();
    expect(text).toContain("targets[0].externalId: expected string (value not shown: secret)");
    expect(text).not.toContain("12345678");
  });

  test("literal external ids are handed to the redactor", async () => {
    const dir = tempRepo({ "t.yaml": 'targets:\n  - { name: a, kind: aws, account: "111111111111", regions: [us-east-1], externalId: lit-secret-42 }\n' });
    const redactor = new Redactor();
    await loadTargets({ file: "t.yaml", cwd: dir, config: (await resolve(dir)).config, redactor });
    expect(redactor.scrub("x lit-secret-42 y")).toBe("x [redacted] y");
  });
});

describe("loadTargets from the config", () => {
  test("config targets (per environment too); the file replaces them; blocked is the union", async () => {
    const dir = tempRepo({
      "opsctl.config.yaml": `targets:
  - { name: base, kind: aws, account: "333333333333", regions: [us-east-1] }
blocked: ["888888888888", "999999999999"]
environments:
  prod:
    targets:
      - { name: prod-only, kind: kubernetes, contexts: [prod] }
`,
      "t.yaml": FILE,
    });
    const resolved = await resolve(dir);
    const fromConfig = await loadTargets({ cwd: dir, config: resolved.config, sourceOfConfig: describeConfigKey(resolved, "targets") });
    expect(fromConfig.source).toBe("config targets");
    expect(fromConfig.targets.map((t) => [t.name, t.source])).toEqual([["base", `repository config ${join(dir, "opsctl.config.yaml")} targets[0]`]]);
    const prod = await resolve(dir, {}, "prod");
    const fromProd = await loadTargets({ cwd: dir, config: prod.config, sourceOfConfig: describeConfigKey(prod, "targets") });
    expect(fromProd.targets.map((t) => [t.name, t.source])).toEqual([
      ["prod-only", `repository config ${join(dir, "opsctl.config.yaml")} environments.prod.targets[0]`],
    ]);
    const fromFile = await loadTargets({ file: "t.yaml", cwd: dir, config: resolved.config });
    expect(fromFile.targets.map((t) => t.name)).toEqual(["payments-prod", "data", "clusters"]);
    // A file can add to the block list, never remove from it.
    expect(fromFile.blocked.sort()).toEqual(["888888888888", "999999999999"]);
    expect(fromFile.blockedFrom?.["999999999999"]).toEqual(["config blocked[1]", "t.yaml blocked[0]"]);
  });

  test("no targets anywhere: a usage error saying how to give them", async () => {
    const dir = tempRepo({});
    const text = (await usage(loadTargets({ cwd: dir, config: (await resolve(dir)).config }))).join();
    expect(text).toContain("no targets: give --targets FILE");
  });

  test("config schema errors in targets name the config file and key; blocked is top level only", async () => {
    const dir = tempRepo({
      "opsctl.config.yaml": `targets:\n  - { name: a, kind: aws, account: 111111111111, regions: [us-east-1], tagz: {} }\nenvironments:\n  prod:\n    blocked: ["111111111111"]\nfleet:\n  maxScopes: 0\n`,
    });
    const text = (await usage(resolve(dir))).join("\n");
    expect(text).toContain("targets[0].account: account must be a quoted string of 12 digits");
    expect(text).toContain("targets[0].tagz: unknown key (did you mean 'targets[0].tags'?)");
    expect(text).toContain("environments.prod.blocked: unknown key");
    expect(text).toContain("fleet.maxScopes: must be at least 1");
    expect(text).toContain(join(dir, "opsctl.config.yaml"));
  });

  test("fleet defaults", async () => {
    const dir = tempRepo({});
    const c: Config = (await resolve(dir)).config;
    expect(c.fleet).toEqual({ maxScopes: 4 });
    expect(c.blocked).toBeUndefined();
  });

  test("show-config never shows a literal external id, only where it came from", async () => {
    const dir = tempRepo({
      "opsctl.config.yaml": `targets:\n  - { name: a, kind: aws, account: "111111111111", regions: [us-east-1], externalId: CANARY-ext-77 }\n  - { name: b, kind: aws, account: "222222222222", regions: [us-east-1], externalId: "env:B_EXT" }\n`,
    });
    const redactor = new Redactor();
    const r = await resolveConfig({ cwd: dir, env: { HOME: dir, XDG_CONFIG_HOME: join(dir, ".xdg"), B_EXT: "CANARY-env-88" }, flags: [], redactor });
    const shown = JSON.stringify(showConfigReport("targets list", r, null).result);
    expect(shown).not.toContain("CANARY-ext-77");
    expect(shown).toContain(`set (from ${join(dir, "opsctl.config.yaml")}: targets[0].externalId)`);
    expect(shown).toContain("set (from env:B_EXT)");
    expect(redactor.scrub("CANARY-ext-77")).toBe("[redacted]");
  });
});
