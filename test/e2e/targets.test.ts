import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";
import { type SeededOrg, seedOrganization } from "../support/organizations.ts";
import { peers } from "../support/peers.ts";

// `opsctl targets sync` and `opsctl targets list`, the compiled binary against moto's
// Organizations: the file written, --dry-run's exit codes, the selection shown, and every
// bad input with its exit code and message, and nothing written when it fails.

const moto = new Moto();
let org: SeededOrg;

beforeAll(async () => {
  await moto.reset();
  org = await seedOrganization(moto.url);
});

let ws: { dir: string; env: Record<string, string> };
beforeEach(() => {
  ws = workspace(moto.url);
});

const sync = (...args: string[]) => runBin(["targets", "sync", "--from-organization", "--out", "targets.yaml", ...args], { cwd: ws.dir, env: ws.env });
const file = () => join(ws.dir, "targets.yaml");

describe("targets sync", () => {
  test("writes one aws target per account, says what it added; a second run finds nothing to change", async () => {
    const r = await sync();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("4 accounts in the organization, 4 active");
    expect(r.stdout).toMatch(new RegExp(`payments-prod\\s+${org.accounts["Payments Prod"]}`));
    expect(r.stdout).toContain("Wrote targets.yaml.");
    const written = parse(readFileSync(file(), "utf8"));
    expect(written.targets).toHaveLength(4);
    expect(
      written.targets.every(
        (t: { roles: string[]; regions: string[] }) => t.roles[0]?.endsWith(":role/OrganizationAccountAccessRole") && t.regions[0] === "us-east-1",
      ),
    ).toBe(true);
    const again = await sync("--format", "json");
    expect(again.code).toBe(0);
    expect(again.json.result).toMatchObject({ changed: false, written: false, added: [], removed: [] });
    expect(again.json.result.unchanged).toHaveLength(4);
  });

  test("--dry-run: exit 10 and no file when it would change; exit 0 when it would not", async () => {
    const dry = await sync("--dry-run");
    expect(dry.code).toBe(10);
    expect(dry.stdout).toContain("Dry run: the file would change; nothing written.");
    expect(existsSync(file())).toBe(false);
    expect((await sync()).code).toBe(0);
    const before = readFileSync(file(), "utf8");
    const clean = await sync("--dry-run", "--format", "json");
    expect(clean.code).toBe(0);
    expect(clean.json.exit).toEqual({ code: 0, name: "ok" });
    expect(readFileSync(file(), "utf8")).toBe(before);
    // Changing a synced field by hand makes it differ again.
    writeFileSync(file(), before.replace("OrganizationAccountAccessRole", "Other"));
    const drift = await sync("--dry-run", "--format", "json");
    expect(drift.code).toBe(10);
    expect(drift.json.exit).toEqual({ code: 10, name: "changes" });
    expect(drift.json.result.updated).toEqual([expect.objectContaining({ fields: ["roles"] })]);
    // The rewrite keeps the file's permissions (it may hold literal external ids).
    chmodSync(file(), 0o600);
    expect((await sync()).code).toBe(0);
    expect(readFileSync(file(), "utf8")).toBe(before);
    expect(statSync(file()).mode & 0o777).toBe(0o600);
  });

  test("--ou with JSON output; --regions and --role-name", async () => {
    const r = await runBin(
      [
        "targets",
        "sync",
        "--from-organization",
        "--ou",
        org.ou,
        "--out",
        "t.json",
        "--regions",
        "eu-west-1,us-east-2",
        "--role-name",
        "fleet",
        "--format",
        "json",
      ],
      { cwd: ws.dir, env: ws.env },
    );
    expect(r.code).toBe(0);
    expect(r.json.command).toBe("targets sync");
    expect(r.json.result.organization).toEqual({ accounts: 1, active: 1, ou: org.ou });
    const t = JSON.parse(readFileSync(join(ws.dir, "t.json"), "utf8"));
    const id = org.accounts["Payments Prod"];
    expect(t.targets).toEqual([
      {
        name: "payments-prod",
        kind: "aws",
        account: id,
        roles: [`arn:aws:iam::${id}:role/fleet`],
        regions: ["eu-west-1", "us-east-2"],
        tags: { "opsctl:source": "organization", ou: org.ou, team: "payments", tier: "prod" },
        mode: "write",
      },
    ]);
  });

  const bad: [string, string[], Record<string, string>, number, RegExp][] = [
    ["unknown flag", ["--bogus"], {}, 2, /unknown flag --bogus/],
    ["bad --ou form", ["--ou", "ou-1"], {}, 2, /--ou must be an OU id \(ou-xxxx-xxxxxxxx\) or a root id \(r-xxxx\), got 'ou-1'/],
    [
      "an OU that does not exist",
      ["--ou", "ou-zzzz-zzzzzzzz"],
      {},
      2,
      /--ou ou-zzzz-zzzzzzzz: no such organizational unit or root in the organization \(ParentNotFoundException\)/,
    ],
    ["bad --regions", ["--regions", "us-east-1,mars"], {}, 2, /--regions must be comma-separated regions .*not a region: 'mars'/],
    ["bad --role-name", ["--role-name", "a/b c"], {}, 2, /--role-name must be an IAM role name/],
    ["unreachable endpoint", [], { OPSCTL_AWS__ENDPOINT: "http://127.0.0.1:9" }, 4, /cannot reach organizations at http:\/\/127\.0\.0\.1:9: ECONNREFUSED/],
    ["broken config", [], { OPSCTL_FLEET__MAX_SCOPES: "0" }, 2, /fleet\.maxScopes: must be at least 1.*OPSCTL_FLEET__MAX_SCOPES/],
  ];
  for (const [name, args, env, code, message] of bad) {
    test(`${name} → ${code}, named, nothing written (text and JSON)`, async () => {
      for (const json of [false, true]) {
        const r = await runBin(["targets", "sync", "--from-organization", "--out", "targets.yaml", ...args, ...(json ? ["--format", "json"] : [])], {
          cwd: ws.dir,
          env: { ...ws.env, ...env },
        });
        expect(r.code).toBe(code);
        if (json) expect(JSON.stringify(r.json.errors)).toMatch(message);
        else {
          expect(r.stderr).toMatch(message);
          expect(r.stdout).toBe("");
        }
        expect(existsSync(file())).toBe(false);
      }
    });
  }

  test("no source flag → 2", async () => {
    const r = await runBin(["targets", "sync", "--out", "targets.yaml"], { cwd: ws.dir, env: ws.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("targets sync needs a source: --from-organization");
    expect(existsSync(file())).toBe(false);
  });

  test("unwritable --out → 2 before the organization is read; an existing file is left as it was", async () => {
    const missingDir = await runBin(["targets", "sync", "--from-organization", "--out", "nope/t.yaml"], { cwd: ws.dir, env: ws.env });
    expect(missingDir.code).toBe(2);
    // Text output shows paths relative to the working directory.
    expect(missingDir.stderr).toContain("--out nope/t.yaml: the directory nope does not exist");
    mkdirSync(join(ws.dir, "adir.yaml"));
    const isDir = await runBin(["targets", "sync", "--from-organization", "--out", "adir.yaml"], { cwd: ws.dir, env: ws.env });
    expect(isDir.code).toBe(2);
    expect(isDir.stderr).toContain("--out adir.yaml: exists and is not a regular file");
    const ext = await runBin(["targets", "sync", "--from-organization", "--out", "t.txt"], { cwd: ws.dir, env: ws.env });
    expect(ext.code).toBe(2);
    expect(ext.stderr).toContain("--out must end in .yaml, .yml, .json, got 't.txt'");
    // An existing file that is not a valid targets file: refused, naming the key, and kept as it was.
    writeFileSync(file(), "targets:\n  - { name: x, kind: aws, account: 12, regions: [us-east-1] }\n");
    const invalid = await sync();
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("targets.yaml: targets[0].account: account must be a quoted string of 12 digits");
    expect(readFileSync(file(), "utf8")).toContain("account: 12, regions");
  });

  test("rejected credentials → 4, saying so (moto enforcing IAM)", async () => {
    const url = peers().MOTO_AUTH_URL;
    if (!url) throw new Error("MOTO_AUTH_URL missing: scripts/peers.sh start moto-auth");
    const r = await runBin(["targets", "sync", "--from-organization", "--out", "targets.yaml", "--format", "json"], {
      cwd: ws.dir,
      env: { ...ws.env, OPSCTL_AWS__ENDPOINT: url, AWS_ACCESS_KEY_ID: "AKIANOTAREALKEY00000", AWS_SECRET_ACCESS_KEY: "wrong" },
    });
    expect(r.code).toBe(4);
    // moto answers a JSON API's auth failure in XML: the SDK keeps only the status, which is what is reported.
    expect(r.json.errors[0].message).toBe(
      `organizations at ${url} refused the request (HTTP 403, answer not JSON): the credentials were rejected or lack permission`,
    );
    expect(existsSync(file())).toBe(false);
  });

  test("an account outside any organization → 4", async () => {
    await moto.reset();
    try {
      const r = await sync();
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("AWS Organizations listed no accounts: the credentials' account is not in an organization; nothing written");
      expect(existsSync(file())).toBe(false);
    } finally {
      await moto.reset();
      org = await seedOrganization(moto.url);
    }
  });
});

const TARGETS = `targets:
  - name: payments-prod
    kind: aws
    account: "111111111111"
    roles: ["arn:aws:iam::111111111111:role/opsctl"]
    externalId: env:PAYMENTS_EXTERNAL_ID
    regions: [us-east-1, eu-west-1]
    tags: { team: payments }
    environments: [prod]
  - name: data
    kind: aws
    account: "222222222222"
    regions: all
    tags: { team: data }
    mode: read-only
  - name: legacy
    kind: aws
    account: "999999999999"
    regions: [us-east-1]
    tags: { team: payments }
  - name: clusters
    kind: kubernetes
    contexts: [kind-a, kind-b]
blocked: ["999999999999"]
`;

describe("targets list", () => {
  const list = (...args: string[]) =>
    runBin(["targets", "list", ...(args.includes("--targets") ? [] : ["--targets", "t.yaml"]), ...args], { cwd: ws.dir, env: ws.env });
  beforeEach(() => writeFileSync(join(ws.dir, "t.yaml"), TARGETS));

  test("text: the selection, regions 'all' unresolved, blocked with the reason; contacts nothing", async () => {
    const r = await runBin(["targets", "list", "--targets", "t.yaml", "--environment", "prod", "--target-tag", "team=payments"], {
      cwd: ws.dir,
      env: { ...ws.env, OPSCTL_AWS__ENDPOINT: "http://127.0.0.1:9" },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Targets from --targets t.yaml (environment prod; --target-tag team=payments)");
    expect(r.stdout).toMatch(/payments-prod\s+aws\s+111111111111\s+us-east-1, eu-west-1\s+write\s+team=payments\s+prod/);
    expect(r.stdout).toMatch(/legacy\s+999999999999\s+account 999999999999 is in the blocked list \(t\.yaml blocked\[0\]\): never targeted/);
    expect(r.stdout).toContain("payments-prod: arn:aws:iam::111111111111:role/opsctl (external id set (from env:PAYMENTS_EXTERNAL_ID))");
    expect(r.stdout).toContain("1 target selected, 1 blocked.");
    const all = await list();
    expect(all.stdout).toMatch(/data\s+aws\s+222222222222\s+all \(resolved at plan time\)\s+read-only/);
    expect(all.stdout).toMatch(/clusters\s+kubernetes\s+-\s+kind-a, kind-b/);
  });

  test("JSON: one envelope with the targets, the blocked ones and the criteria", async () => {
    const r = await list("--environment", "staging", "--format", "json");
    expect(r.code).toBe(0);
    expect(r.json.command).toBe("targets list");
    expect(r.json.result.criteria).toEqual({ names: [], tags: {}, environment: "staging", source: "--targets t.yaml" });
    expect(r.json.result.targets.map((t: { name: string }) => t.name)).toEqual(["data", "clusters"]);
    expect(r.json.result.blocked).toEqual([{ name: "legacy", account: "999999999999", reason: expect.stringContaining("blocked list") }]);
  });

  test("the config's targets and blocked (a file replaces targets, blocked is the union)", async () => {
    const cfg = workspace(moto.url, `targets:\n  - { name: cfg, kind: aws, account: "333333333333", regions: [us-east-1] }\nblocked: ["222222222222"]\n`);
    writeFileSync(join(cfg.dir, "t.yaml"), TARGETS);
    const fromConfig = await runBin(["targets", "list", "--format", "json"], { cwd: cfg.dir, env: cfg.env });
    expect(fromConfig.code).toBe(0);
    expect(fromConfig.json.result.targets.map((t: { name: string; source: string }) => [t.name, t.source])).toEqual([
      ["cfg", `repository config ${join(cfg.dir, "opsctl.config.yaml")} targets[0]`],
    ]);
    const fromFile = await runBin(["targets", "list", "--targets", "t.yaml", "--format", "json"], { cwd: cfg.dir, env: cfg.env });
    expect(fromFile.json.result.targets.map((t: { name: string }) => t.name)).toEqual(["payments-prod", "clusters"]);
    expect(fromFile.json.result.blocked.map((b: { name: string }) => b.name)).toEqual(["data", "legacy"]);
  });

  const bad: [string, string[], RegExp][] = [
    [
      "unknown target",
      ["--target", "payments-prd"],
      /--target payments-prd: no such target in --targets t\.yaml \(did you mean payments-prod\?\); targets: payments-prod, data, legacy, clusters/,
    ],
    ["bad --target-tag", ["--target-tag", "noequals"], /--target-tag: must be a tag selector KEY=VALUE, got 'noequals'/],
    ["bad --target name", ["--target", "a b"], /--target: must be a target name/],
    [
      "nothing matches",
      ["--target-tag", "team=nobody"],
      /no target selected from --targets t\.yaml by --target-tag team=nobody for environment '\(any\)': no target has the tag team=nobody/,
    ],
    ["only blocked named", ["--target", "legacy"], /every matching target is blocked: legacy/],
    [
      "named outside its environments",
      ["--target", "payments-prod", "--environment", "staging"],
      /--target payments-prod: only for environment prod \(t\.yaml targets\[0\]\), not 'staging'/,
    ],
    ["missing file", ["--targets", "nope.yaml"], /nope\.yaml: no such file/],
  ];
  for (const [name, args, message] of bad) {
    test(`${name} → 2, named (text and JSON)`, async () => {
      for (const json of [false, true]) {
        const r = await list(...args, ...(json ? ["--format", "json"] : []));
        expect(r.code).toBe(2);
        if (json) expect(JSON.stringify(r.json.errors)).toMatch(message);
        else expect(r.stderr).toMatch(message);
      }
    });
  }

  test("a bad targets file: every problem, each naming the file and key; no targets at all → 2 saying how to give them", async () => {
    writeFileSync(join(ws.dir, "bad.yaml"), "targets:\n  - { name: a, kind: aws, account: 111111111111, regions: [] }\n  - { name: b, kind: kube }\n");
    const r = await list("--targets", "bad.yaml", "--format", "json");
    expect(r.code).toBe(2);
    expect(r.json.errors.map((e: { message: string }) => e.message)).toEqual([
      expect.stringContaining("bad.yaml: targets[0].account: account must be a quoted string of 12 digits"),
      'bad.yaml: targets[0].regions: must list at least one region (or be "all")',
      'bad.yaml: targets[1].kind: kind must be "aws" or "kubernetes", got "kube"',
    ]);
    const none = await runBin(["targets", "list"], { cwd: ws.dir, env: ws.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no targets: give --targets FILE");
  });

  test("a literal external id never appears in any output", async () => {
    writeFileSync(join(ws.dir, "t.yaml"), TARGETS.replace("env:PAYMENTS_EXTERNAL_ID", "CANARY-external-id-5150"));
    for (const args of [[], ["--format", "json"], ["--show-config"], ["--target", "nope"]]) {
      const r = await list("--environment", "prod", ...args);
      expect(r.stdout + r.stderr).not.toContain("CANARY-external-id-5150");
    }
  });
});
