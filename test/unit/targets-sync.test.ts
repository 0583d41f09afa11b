import { describe, expect, test } from "bun:test";
import { mergeSync, SYNC_TAG, slug } from "../../src/commands/targets/sync.ts";
import type { OrgAccount } from "../../src/providers/aws/organizations.ts";

const acct = (id: string, name: string, state = "ACTIVE", tags: Record<string, string> = {}): OrgAccount => ({ id, name, state, tags });
const O = { roleName: "OrganizationAccountAccessRole", regions: ["us-east-1"] };

describe("targets sync merge", () => {
  test("names: slugged from the account name, unique, never empty", () => {
    expect(slug("Payments Prod (EU)")).toBe("payments-prod-eu");
    expect(slug("  ---Ünïcode Äccount--- ")).toBe("unicode-account");
    expect(slug("日本")).toBe("");
    expect(slug("x".repeat(80))).toHaveLength(64);
    const { file } = mergeSync(undefined, [acct("111111111111", "Prod"), acct("222222222222", "prod"), acct("333333333333", "日本")], O);
    expect(file.targets.map((t) => t.name)).toEqual(["prod", "prod-222222222222", "account-333333333333"]);
  });

  test("a hand-written target's name is never reused for a new account", () => {
    const existing = { targets: [{ kind: "kubernetes" as const, name: "prod", contexts: ["c"] }] };
    const { file, changes } = mergeSync(existing, [acct("111111111111", "Prod")], O);
    expect(file.targets.map((t) => t.name)).toEqual(["prod", "prod-111111111111"]);
    expect(changes.kept).toEqual([{ name: "prod", kind: "kubernetes" }]);
  });

  test("updated fields are named; tags and roles belong to the sync, mode and regions to the operator", () => {
    const first = mergeSync(undefined, [acct("111111111111", "Prod", "ACTIVE", { team: "a" })], O).file;
    const t = first.targets[0] as (typeof first.targets)[0];
    Object.assign(t, { mode: "read-only", regions: ["eu-west-1"] });
    const { file, changes } = mergeSync(first, [acct("111111111111", "Prod", "ACTIVE", { team: "b" })], { ...O, roleName: "other" });
    expect(changes.updated).toEqual([{ name: "prod", account: "111111111111", fields: ["roles", "tags"] }]);
    expect(file.targets[0]).toMatchObject({
      mode: "read-only",
      regions: ["eu-west-1"],
      roles: ["arn:aws:iam::111111111111:role/other"],
      tags: { team: "b", [SYNC_TAG]: "organization" },
    });
  });

  test("two synced entries for one account: the second is removed", () => {
    const e = mergeSync(undefined, [acct("111111111111", "Prod")], O).file;
    const twice = { targets: [...e.targets, { ...(e.targets[0] as object), name: "copy" } as (typeof e.targets)[0]] };
    const { changes } = mergeSync(twice, [acct("111111111111", "Prod")], O);
    expect(changes.removed).toEqual([{ name: "copy", account: "111111111111", reason: "a second entry for the same account" }]);
  });

  test("an organization account with a hand-written entry gets no synced twin", () => {
    const existing = { targets: [{ kind: "aws" as const, name: "mine", account: "111111111111", regions: ["us-east-1"] }] };
    const { file, changes } = mergeSync(existing, [acct("111111111111", "Prod"), acct("222222222222", "Data")], O);
    expect(file.targets.map((t) => t.name)).toEqual(["mine", "data"]);
    expect(changes.kept).toEqual([{ name: "mine", kind: "aws" }]);
    expect(changes.added).toEqual([{ name: "data", account: "222222222222" }]);
  });
});
