import { beforeAll, describe, test } from "bun:test";
import { join } from "node:path";
import { root } from "../../src/commands/index.ts";
import { renderSync, type SyncResult } from "../../src/commands/targets/render.ts";
import { activateConfigFor } from "../../src/config/model.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { tempRepo } from "../support/tmp.ts";

// The targets views, text and JSON, from a fixed targets file (nothing here is contacted).

beforeAll(() => activateConfigFor(root));

const FILE = `targets:
  - name: payments-prod
    kind: aws
    account: "111111111111"
    roles: ["arn:aws:iam::111111111111:role/hub", "arn:aws:iam::111111111111:role/opsctl"]
    externalId: env:PAYMENTS_EXTERNAL_ID
    regions: [us-east-1, eu-west-1]
    tags: { team: payments }
    environments: [prod]
  - name: data
    kind: aws
    account: "222222222222"
    regions: all
    mode: read-only
  - name: legacy
    kind: aws
    account: "999999999999"
    regions: [us-east-1]
  - name: clusters
    kind: kubernetes
    contexts: [kind-a, kind-b]
    tags: { team: platform }
blocked: ["999999999999"]
`;

describe("targets golden views", () => {
  for (const format of ["text", "json"]) {
    test(`targets list (${format})`, async () => {
      const dir = tempRepo({ "t.yaml": FILE }, "targets-list");
      const r = await runInProcess(["targets", "list", "--targets", "t.yaml", "--environment", "prod", "--format", format], {
        cwd: dir,
        env: { HOME: dir, XDG_CONFIG_HOME: join(dir, ".xdg") },
      });
      expectGolden(`targets-list.${format}.stdout`, r.stdout);
    });
  }

  test("targets sync (text)", () => {
    const r: SyncResult = {
      file: "targets.yaml",
      dryRun: true,
      changed: true,
      written: false,
      organization: { accounts: 5, active: 4, ou: "ou-abcd-12345678" },
      added: [{ name: "sandbox", account: "333333333333" }],
      removed: [{ name: "old", account: "444444444444", reason: "no longer in the organization (or outside --ou)" }],
      updated: [{ name: "data", account: "222222222222", fields: ["roles", "tags"] }],
      unchanged: [{ name: "payments-prod", account: "111111111111" }],
      kept: [{ name: "clusters", kind: "kubernetes" }],
      skipped: [{ name: "Closed", account: "555555555555", reason: "state SUSPENDED, not ACTIVE" }],
      blocked: ["999999999999"],
    };
    expectGolden("targets-sync.text.stdout", `${renderSync(r)}\n`);
  });
});
