import { beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TagUserCommand } from "@aws-sdk/client-iam";
import { parseCsv, toCsv } from "../../src/core/csv.ts";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { IamSeeder } from "../support/iam-seed.ts";
import { Moto } from "../support/moto.ts";

// access-review and access-revoke, the compiled binary against moto's IAM. Key ages
// and last use are set by moving moto's clock while seeding (test/support/iam-seed.ts).

const moto = new Moto();
let seed: IamSeeder;
let keys: Record<string, string[]>;

const CONFIG = `accessReview:\n  exemptUsers: [frank]\n`;

beforeEach(async () => {
  await moto.reset();
  seed = new IamSeeder(moto);
  keys = await seed.seed([
    { name: "alice", keys: [{ ageDays: 2 }], groups: ["developers"] },
    { name: "bob", keys: [{ ageDays: 200, usedDaysAgo: 120 }], managedPolicies: ["ReadOnly"] },
    { name: "carol", keys: [{ ageDays: 30 }] },
    {
      name: "dave",
      keys: [
        { ageDays: 60, usedDaysAgo: 1 },
        { ageDays: 300, usedDaysAgo: 150 },
      ],
      inlinePolicies: ["deploy"],
    },
    { name: "erin", tags: { "opsctl:access-review": "exempt" }, keys: [{ ageDays: 500, usedDaysAgo: 400 }] },
    { name: "frank", keys: [{ ageDays: 200 }] },
    { name: "grace", password: true, groups: ["support"] },
    { name: "heidi", password: true, mfa: true },
  ]);
});

const key = (user: string, i = 0) => keys[user]?.[i] as string;

async function reviewCsv(dir: string, env: Record<string, string>, decide: Record<string, [string, string]>): Promise<string> {
  const r = await runBin(["access-review", "--environment", "prod", "--format", "csv", "--out", "review.csv"], { cwd: dir, env });
  expect(r.code).toBe(10);
  const recs = parseCsv(readFileSync(join(dir, "review.csv"), "utf8"));
  const header = recs[0]?.fields ?? [];
  const at = (n: string) => header.indexOf(n);
  const rows = recs.slice(1).map(({ fields }) => {
    const d = decide[fields[at("access_key_id")] || fields[at("user")] || ""];
    if (d) [fields[at("decision")], fields[at("justification")]] = d;
    return fields;
  });
  writeFileSync(join(dir, "decisions.csv"), toCsv(header, rows));
  return "decisions.csv";
}

describe("access-review against moto IAM", () => {
  test("text: findings with reasons, exclusions with their source, exit 10, nothing changed", async () => {
    const { dir, env } = workspace(moto.url, CONFIG);
    const before = await seed.state();
    const r = await runBin(["access-review", "--environment", "prod"], { cwd: dir, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(10);
    expect(r.stdout).toContain("account 123456789012");
    expect(r.stdout).toMatch(new RegExp(`${key("bob")}\\s+bob\\s+key-stale: last used \\d{4}-\\d\\d-\\d\\d \\(sts in us-east-1\\), 120 days ago > 90d`));
    expect(r.stdout).toMatch(new RegExp(`${key("carol")}\\s+carol\\s+key-never-used: never used, created \\S+, 30 days ago > grace 7d`));
    expect(r.stdout).toMatch(new RegExp(`${key("dave", 1)}\\s+dave\\s+key-stale`));
    expect(r.stdout).toContain("two-active-keys");
    expect(r.stdout).toMatch(/grace\s+console-no-mfa: console password and no MFA device/);
    expect(r.stdout).not.toMatch(new RegExp(`${key("dave", 0)}\\s+dave\\s+key-`));
    expect(r.stdout).not.toMatch(new RegExp(`${key("alice")}\\s+alice\\s+key-`));
    expect(r.stdout).toMatch(/erin\s+tag opsctl:access-review=exempt\s+accessReview.exemptTags \(default\)/);
    expect(r.stdout).toMatch(/frank\s+user name frank\s+accessReview.exemptUsers \(.*opsctl.config.yaml\)/);
    expect(r.stdout).toContain("opsctl access-review --environment prod");
    expect(await seed.state()).toBe(before);
  });

  test("json: the whole population, the as-of time, report generation time, and a digest stable across runs", async () => {
    const { dir, env } = workspace(moto.url, CONFIG);
    const a = await runBin(["access-review", "--environment", "prod", "--format", "json"], { cwd: dir, env });
    const b = await runBin(["access-review", "--environment", "prod", "--format", "json"], { cwd: dir, env });
    expect(a.code).toBe(10);
    expect(a.json.exit).toEqual({ code: 10, name: "changes" });
    const ra = a.json.result;
    expect(ra.population.users.map((u: { name: string }) => u.name)).toEqual(["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]);
    expect(ra.population.account).toBe("123456789012");
    expect(ra.population.report.generatedAt).toMatch(/^\d{4}-/);
    expect(ra.commandLine).toBe("opsctl access-review --environment prod --format json");
    expect(ra.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.json.result.digest).toBe(ra.digest);
    expect(b.json.result.populationDigest).toBe(ra.populationDigest);
    expect(ra.rows.length).toBe(9);
    const dave = ra.population.users.find((u: { name: string }) => u.name === "dave");
    expect(dave.inlinePolicies).toEqual(["deploy"]);
    expect(dave.keys.map((k: { lastUsedService?: string }) => k.lastUsedService)).toEqual(expect.arrayContaining(["sts"]));
  });

  test("no findings is exit 0", async () => {
    await moto.reset();
    await new IamSeeder(moto).seed([{ name: "solo", keys: [{ ageDays: 20, usedDaysAgo: 1 }] }]);
    const { dir, env } = workspace(moto.url);
    const r = await runBin(["access-review", "--environment", "prod"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Findings: none");
  });

  test("unreachable endpoint is exit 4 naming the service and endpoint", async () => {
    const { dir, env } = workspace("http://127.0.0.1:9");
    const r = await runBin(["access-review", "--environment", "prod"], { cwd: dir, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/cannot reach (IAM|STS) at http:\/\/127\.0\.0\.1:9/);
    expect(r.stdout).toBe("");
  });

  test("bad input: unknown flag, bad duration, bad format are exit 2 naming the flag", async () => {
    const { dir, env } = workspace(moto.url);
    for (const [args, msg] of [
      [["--bogus"], "--bogus"],
      [["--stale-after", "soon"], "--stale-after"],
      [["--format", "xml"], "--format"],
    ] as const) {
      const r = await runBin(["access-review", "--environment", "prod", ...args], { cwd: dir, env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(msg);
    }
  });
});

describe("access-revoke against moto IAM", () => {
  test("decisions round trip: dry run plans exactly the revoked credentials, apply disables and tags, nothing else", async () => {
    const { dir, env } = workspace(moto.url, CONFIG);
    const file = await reviewCsv(dir, env, {
      [key("dave", 1)]: ["revoke", "stale second key"],
      [key("dave", 0)]: ["keep", "deploy pipeline"],
      grace: ["revoke", "no MFA, left support"],
    });
    const before = await seed.state();
    const dry = await runBin(["access-revoke", "--environment", "prod", "--decisions", file, "--dry-run", "--format", "json"], { cwd: dir, env });
    expect(dry.code).toBe(10);
    expect(dry.json.plan.actions.map((a: { operation: string; resource: { id: string } }) => `${a.operation} ${a.resource.id}`)).toEqual([
      `disable ${key("dave", 1)}`,
      "delete grace",
    ]);
    expect(dry.json.plan.checks.map((c: { name: string; detail: string }) => c.name)).toContain("iam:no-dry-run");
    expect(await seed.state()).toBe(before);

    const apply = await runBin(["access-revoke", "--environment", "prod", "--decisions", file, "--format", "json", "--yes"], { cwd: dir, env });
    expect(apply.code).toBe(0);
    expect(apply.json.result.actions.map((a: { status: string; resource: string }) => `${a.status} ${a.resource}`)).toEqual([
      `applied ${key("dave", 1)}`,
      "applied grace",
    ]);
    const after = await seed.state();
    expect(after).toContain(`${key("dave", 0)}=Active`);
    expect(after).toContain(`${key("dave", 1)}=Inactive`);
    const hist = await runBin(["history", "--format", "json"], { cwd: dir, env });
    expect(JSON.stringify(hist.json)).toContain(key("dave", 1));
  });

  test("JSON decisions: the review's JSON envelope with decisions filled in is read like the CSV", async () => {
    const { dir, env } = workspace(moto.url, CONFIG);
    const r = await runBin(["access-review", "--environment", "prod", "--format", "json", "--out", "review.json"], { cwd: dir, env });
    expect(r.code).toBe(10);
    expect(r.stdout).toBe("");
    const doc = JSON.parse(readFileSync(join(dir, "review.json"), "utf8"));
    for (const row of doc.result.rows) if (row.accessKeyId === key("carol")) Object.assign(row, { decision: "revoke", justification: "never used" });
    writeFileSync(join(dir, "decisions.json"), JSON.stringify(doc));
    const dry = await runBin(["access-revoke", "--environment", "prod", "--decisions", "decisions.json", "--dry-run", "--format", "json"], { cwd: dir, env });
    expect(dry.code).toBe(10);
    expect(dry.json.plan.actions.map((a: { id: string }) => a.id)).toEqual([`disable:${key("carol")}`]);
  });

  test("delete after the quarantine: skipped while it runs, deleted once --delete-after has passed", async () => {
    const { dir, env } = workspace(moto.url, CONFIG);
    const file = await reviewCsv(dir, env, { [key("bob")]: ["revoke", "left"] });
    const run = (extra: string[] = []) =>
      runBin(["access-revoke", "--environment", "prod", "--decisions", file, "--format", "json", "--yes", ...extra], { cwd: dir, env });
    expect((await run()).code).toBe(0);
    expect(await seed.state()).toContain(`${key("bob")}=Inactive`);

    const early = await run(["--dry-run"]);
    expect(early.code).toBe(0);
    expect(early.json.plan.skipped.find((s: { resource: { id: string } }) => s.resource.id === key("bob")).reason).toMatch(
      /^in quarantine: disabled .* deletable after/,
    );

    // Time passes: the quarantine record says the key was disabled 31 days ago.
    const disabledAt = new Date(Date.now() - 31 * 86_400_000).toISOString();
    await seed.iam.send(new TagUserCommand({ UserName: "bob", Tags: [{ Key: `opsctl:access-revoke:${key("bob")}`, Value: disabledAt }] }));
    const late = await run();
    expect(late.code).toBe(0);
    expect(late.json.plan.actions.map((a: { operation: string; call: { operation: string } }) => `${a.operation} ${a.call.operation}`)).toEqual([
      "delete DeleteAccessKey",
    ]);
    expect(await seed.state()).not.toContain(key("bob"));
  });

  test("a key used between review and revoke is skipped as drifted; used after a saved plan, apply refuses it", async () => {
    const { dir, env } = workspace(moto.url, CONFIG);
    const file = await reviewCsv(dir, env, { [key("bob")]: ["revoke", "stale"], [key("carol")]: ["revoke", "never used"] });
    await seed.use(key("bob"));
    const r = await runBin(["access-revoke", "--environment", "prod", "--decisions", file, "--format", "json", "--yes"], { cwd: dir, env });
    expect(r.code).toBe(0);
    const drift = r.json.plan.skipped.find((s: { resource: { id: string } }) => s.resource.id === key("bob"));
    expect(drift.category).toBe("drifted");
    expect(drift.reason).toMatch(/after the review of .*: someone is using it/);
    expect(await seed.state()).toContain(`${key("bob")}=Active`);
    expect(await seed.state()).toContain(`${key("carol")}=Inactive`);

    const file2 = await reviewCsv(dir, env, { [key("dave", 1)]: ["revoke", "stale"] });
    const saved = await runBin(["access-revoke", "--environment", "prod", "--decisions", file2, "--dry-run", "--out", "plan.json"], { cwd: dir, env });
    expect(saved.code).toBe(10);
    await seed.use(key("dave", 1));
    const apply = await runBin(["apply", "plan.json", "--yes"], { cwd: dir, env });
    expect(apply.code).toBe(3);
    expect(apply.stderr).toContain("not used since the review of");
    expect(await seed.state()).toContain(`${key("dave", 1)}=Active`);
  });

  test("tampered and stale decisions files are refused before any change", async () => {
    const { dir, env } = workspace(moto.url, CONFIG);
    const file = await reviewCsv(dir, env, { [key("bob")]: ["revoke", "stale"] });
    const text = readFileSync(join(dir, file), "utf8");
    const before = await seed.state();
    const run = (name: string, body: string) => {
      writeFileSync(join(dir, name), body);
      return runBin(["access-revoke", "--environment", "prod", "--decisions", name, "--yes"], { cwd: dir, env });
    };
    const forged = await run("forged.csv", text.replace(key("carol"), "AKIAFORGEDKEY0000001"));
    expect(forged.code).toBe(2);
    expect(forged.stderr).toContain("access key AKIAFORGEDKEY0000001 of carol was not in the review of");
    const edited = await run("edited.csv", text.replace(`${key("dave", 0)},Active`, `${key("dave", 0)},Inactive`));
    expect(edited.code).toBe(3);
    expect(edited.stderr).toContain("was edited outside the decision and justification columns");
    const bad = await run("bad.csv", text.replace(",revoke,stale", ",delete,stale"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("decision must be keep, revoke or empty, not 'delete'");
    expect(await seed.state()).toBe(before);

    await seed.key("alice", { ageDays: 0 });
    const stale = await run("stale.csv", text);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain("the account's users and keys changed since the review of");
    expect(stale.stderr).toContain("run access-review again");
    const missing = await runBin(["access-revoke", "--environment", "prod", "--decisions", "nope.csv", "--yes"], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.csv");
  });

  test("unreachable endpoint is exit 4 and changes nothing", async () => {
    const { dir, env } = workspace(moto.url, CONFIG);
    const file = await reviewCsv(dir, env, { [key("bob")]: ["revoke", "stale"] });
    const before = await seed.state();
    const r = await runBin(["access-revoke", "--environment", "prod", "--decisions", file, "--yes"], {
      cwd: dir,
      env: { ...env, OPSCTL_AWS__ENDPOINT: "http://127.0.0.1:9" },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/cannot reach (IAM|STS) at http:\/\/127\.0\.0\.1:9/);
    expect(await seed.state()).toBe(before);
  });
});
