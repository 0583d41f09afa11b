import { describe, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fakeIam } from "../support/fake-iam.ts";
import { expectGolden } from "../support/golden.ts";
import { FIXTURE_NOW, fixturePopulation } from "../support/iam-population.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// access-review's text and CSV views with a frozen clock and the named FAKE IAM port.

async function run(name: string, format: string, out?: string) {
  const repo = tempRepo({ "opsctl.config.yaml": "accessReview:\n  exemptUsers: [frank]\n" }, name);
  const r = await runInProcess(["access-review", "--environment", "prod", "--format", format, ...(out ? ["--out", out] : [])], {
    cwd: repo,
    env: { HOME: "/home/operator", XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state` },
    now: FIXTURE_NOW,
    providers: { sts: async () => ({ callerAccount: async () => "123456789012" }), iam: async () => fakeIam(fixturePopulation()) },
  });
  const norm = (t: string) => normalise(t, { "<repo>": repo });
  expectGolden(`${name}.stdout`, norm(out ? readFileSync(join(repo, out), "utf8") : r.stdout));
  expectGolden(`${name}.exit`, `${r.code}\n`);
}

describe("access-review golden views (FAKE IAM)", () => {
  test("text", () => run("access-review.text", "text"));
  test("csv (written with --out)", () => run("access-review.csv", "csv", "review.csv"));
});
