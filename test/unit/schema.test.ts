import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { root } from "../../src/commands/index.ts";
import { jsonSchemaFor, SCHEMA_NAMES } from "../../src/commands/schema/generate.ts";
import { activateConfigFor } from "../../src/config/model.ts";
import { EnvelopeSchema } from "../../src/views/envelope.ts";
import { runInProcess } from "../support/inproc.ts";
import { tempRepo } from "../support/tmp.ts";

const DOCS = join(import.meta.dir, "..", "..", "docs", "schema");

describe("published JSON Schemas", () => {
  for (const name of SCHEMA_NAMES) {
    test(`docs/schema/${name}.json matches the code (regenerate with: bun src/main.ts schema ${name} > docs/schema/${name}.json)`, async () => {
      const committed = JSON.parse(readFileSync(join(DOCS, `${name}.json`), "utf8"));
      activateConfigFor(root); // the opsctl binary's registry (other tests may have built a team registry)
      expect(await jsonSchemaFor(name)).toEqual(committed);
    });
  }

  test("every envelope the CLI prints validates against the result schema", async () => {
    const repo = tempRepo({ "opsctl.config.yaml": "region: us-east-1\n" });
    for (const argv of [
      ["exit-codes"],
      ["version"],
      ["config", "show"],
      ["cleanup-volumes", "--bogus"],
      ["nope"],
      ["cleanup-volumes", "--environment", "x", "--show-config"],
    ]) {
      const r = await runInProcess([...argv, "--format", "json"], { cwd: repo });
      const parsed = v.safeParse(EnvelopeSchema, JSON.parse(r.stdout));
      expect(parsed.issues ?? []).toEqual([]);
    }
  });
});
