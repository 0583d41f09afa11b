import { beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  DescribeCreateAccountStatusCommand,
  MoveAccountCommand,
} from "@aws-sdk/client-organizations";
import { parse } from "yaml";
import { createOrganizations } from "../../src/providers/aws/organizations.ts";
import { builtinProviders } from "../../src/providers/index.ts";
import { runInProcess } from "../support/inproc.ts";
import { Moto } from "../support/moto.ts";
import { orgClient, type SeededOrg, seedOrganization } from "../support/organizations.ts";
import { tempRepo } from "../support/tmp.ts";

// targets sync against moto's real Organizations API: the provider (ListAccounts, the
// recursive walk under an OU, tags) and the whole command in process, with the real
// provider, for the merge rules (hand-written entries, blocked, hand-set fields).

const moto = new Moto();
const aws = {
  region: "us-east-1",
  endpoint: moto.url,
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  maxAttempts: 1,
  requestTimeoutMs: 5000,
};
let org: SeededOrg;

beforeEach(async () => {
  // moto keeps one organization per server: every test starts from a fresh one.
  await moto.reset();
  org = await seedOrganization(moto.url);
});

const id = (name: string) => org.accounts[name] as string;

describe("organizations provider against moto", () => {
  test("every account with its tags, sorted by id; states reported", async () => {
    await orgClient(moto.url).send(new CloseAccountCommand({ AccountId: id("Sandbox") }));
    const accounts = await (await createOrganizations(aws)).accounts();
    expect(accounts.map((a) => a.id)).toEqual([org.master, id("Payments Prod"), id("Data Lake"), id("Sandbox")].sort());
    const byId = new Map(accounts.map((a) => [a.id, a]));
    expect(byId.get(id("Payments Prod"))).toEqual({
      id: id("Payments Prod"),
      name: "Payments Prod",
      state: "ACTIVE",
      tags: { team: "payments", tier: "prod" },
    });
    expect(byId.get(id("Data Lake"))?.tags).toEqual({ team: "data" });
    expect(byId.get(id("Sandbox"))?.state).toBe("SUSPENDED");
  });

  test("under an OU: its accounts and those of its child OUs, recursively; the root holds all", async () => {
    const c = orgClient(moto.url);
    const child = (await c.send(new CreateOrganizationalUnitCommand({ ParentId: org.ou, Name: "nested" }))).OrganizationalUnit?.Id as string;
    const r = await c.send(new CreateAccountCommand({ AccountName: "Deep", Email: "deep@example.com" }));
    const deep = (await c.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: r.CreateAccountStatus?.Id }))).CreateAccountStatus
      ?.AccountId as string;
    await c.send(new MoveAccountCommand({ AccountId: deep, SourceParentId: org.root, DestinationParentId: child }));
    const port = await createOrganizations(aws);
    expect((await port.accounts(org.ou)).map((a) => a.id)).toEqual([id("Payments Prod"), deep].sort());
    expect((await port.accounts(child)).map((a) => a.id)).toEqual([deep]);
    expect((await port.accounts(org.root)).length).toBe(5);
  });

  test("a missing OU is the API's ParentNotFoundException", async () => {
    const port = await createOrganizations(aws);
    await expect(port.accounts("ou-zzzz-zzzzzzzz")).rejects.toMatchObject({ name: "ParentNotFoundException" });
  });
});

describe("targets sync in process (real provider, moto)", () => {
  const env = (dir: string) => ({
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, ".xdg"),
    // In process the SDK's default chain would read this process's environment: give the keys as config.
    OPSCTL_AWS__ACCESS_KEY_ID: "testing",
    OPSCTL_AWS__SECRET_ACCESS_KEY: "testing",
  });
  const repo = () => tempRepo({ "opsctl.config.yaml": `region: eu-west-1\naws:\n  endpoint: ${moto.url}\n  maxAttempts: 1\n` });
  const sync = (dir: string, ...args: string[]) =>
    runInProcess(["targets", "sync", "--from-organization", "--out", "targets.yaml", ...args], {
      cwd: dir,
      env: env(dir),
      providers: { organizations: builtinProviders.organizations },
    });
  const read = (dir: string) => parse(readFileSync(join(dir, "targets.yaml"), "utf8"));

  test("all accounts: one aws target each, role from --role-name, regions from the config, tags", async () => {
    const dir = repo();
    const r = await sync(dir, "--role-name", "opsctl-fleet");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const file = read(dir);
    // New accounts are appended by account id.
    const expected = [
      [id("Payments Prod"), "payments-prod"],
      [id("Data Lake"), "data-lake"],
      [org.master, "master"],
      [id("Sandbox"), "sandbox"],
    ].sort(([a], [b]) => (a as string).localeCompare(b as string));
    expect(file.targets.map((t: { name: string; account: string }) => [t.account, t.name])).toEqual(expected);
    const payments = file.targets.find((t: { name: string }) => t.name === "payments-prod");
    expect(payments).toEqual({
      name: "payments-prod",
      kind: "aws",
      account: id("Payments Prod"),
      roles: [`arn:aws:iam::${id("Payments Prod")}:role/opsctl-fleet`],
      regions: ["eu-west-1"],
      tags: { "opsctl:source": "organization", team: "payments", tier: "prod" },
      mode: "write",
    });
    expect(r.stdout).toContain("4 added, 0 removed, 0 updated, 0 unchanged, 0 kept.");
  });

  test("--ou: only the OU's accounts, tagged with it; --regions all", async () => {
    const dir = repo();
    const r = await sync(dir, "--ou", org.ou, "--regions", "all");
    expect(r.code).toBe(0);
    const file = read(dir);
    expect(file.targets).toEqual([
      {
        name: "payments-prod",
        kind: "aws",
        account: id("Payments Prod"),
        roles: [`arn:aws:iam::${id("Payments Prod")}:role/OrganizationAccountAccessRole`],
        regions: "all",
        tags: { "opsctl:source": "organization", ou: org.ou, team: "payments", tier: "prod" },
        mode: "write",
      },
    ]);
  });

  test("re-sync keeps blocked, hand-written and Kubernetes entries and hand-set fields; removes accounts that left", async () => {
    const dir = repo();
    expect((await sync(dir)).code).toBe(0);
    const file = read(dir);
    const data = file.targets.find((t: { name: string }) => t.name === "data-lake");
    Object.assign(data, { name: "data", mode: "read-only", regions: ["us-east-1", "us-west-2"], externalId: "env:DATA_EXT", environments: ["prod"] });
    file.targets.push({ name: "partner", kind: "aws", account: "444444444444", regions: ["us-east-1"] });
    file.targets.push({ name: "clusters", kind: "kubernetes", contexts: ["a", "b"] });
    file.blocked = [org.master];
    writeFileSync(join(dir, "targets.yaml"), JSON.stringify(file));
    await orgClient(moto.url).send(new CloseAccountCommand({ AccountId: id("Sandbox") }));

    const dry = await sync(dir, "--dry-run", "--format", "json");
    expect(dry.code).toBe(10);
    expect(JSON.parse(readFileSync(join(dir, "targets.yaml"), "utf8"))).toEqual(file); // nothing written
    const res = JSON.parse(dry.stdout).result;
    expect(res.removed).toEqual([{ name: "sandbox", account: id("Sandbox"), reason: "no longer ACTIVE" }]);
    expect(res.kept).toEqual([
      { name: "partner", kind: "aws" },
      { name: "clusters", kind: "kubernetes" },
    ]);
    expect(res.skipped).toEqual([{ account: id("Sandbox"), name: "Sandbox", reason: "state SUSPENDED, not ACTIVE" }]);

    expect((await sync(dir)).code).toBe(0);
    const after = read(dir);
    expect(after.blocked).toEqual([org.master]);
    // Existing entries keep their places; the closed account's entry is gone.
    expect(after.targets.map((t: { name: string }) => t.name)).toEqual(
      file.targets.map((t: { name: string }) => t.name).filter((n: string) => n !== "sandbox"),
    );
    expect(after.targets.find((t: { name: string }) => t.name === "data")).toEqual({
      name: "data",
      kind: "aws",
      account: id("Data Lake"),
      roles: [`arn:aws:iam::${id("Data Lake")}:role/OrganizationAccountAccessRole`],
      externalId: "env:DATA_EXT",
      regions: ["us-east-1", "us-west-2"],
      tags: { "opsctl:source": "organization", team: "data" },
      mode: "read-only",
      environments: ["prod"],
    });
    expect(after.targets.find((t: { name: string }) => t.name === "partner")).toEqual({
      name: "partner",
      kind: "aws",
      account: "444444444444",
      regions: ["us-east-1"],
    });
    expect(after.targets.find((t: { name: string }) => t.name === "sandbox")).toBeUndefined();

    // A third sync finds nothing to change.
    const again = await sync(dir, "--dry-run");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("The file is up to date; nothing written.");
  });
});
