import { beforeAll, describe, expect, test } from "bun:test";
import { runBin } from "../support/bin.ts";
import { runDeno, stable } from "../support/deno.ts";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";

// The source must run under Deno with the same contract as the compiled binary.

const moto = new Moto();

describe("deno run -A src/main.ts matches the binary", () => {
  beforeAll(async () => {
    await moto.reset();
    await moto.volume({ ageDays: 90, tags: { Environment: "staging" } });
    await moto.volume({ ageDays: 2, tags: { Environment: "staging" } });
  });

  const cases: [string, string[]][] = [
    ["exit-codes", ["exit-codes", "--format", "json"]],
    ["show-config", ["cleanup-volumes", "--environment", "staging", "--older-than", "45d", "--show-config", "--format", "json"]],
    ["cleanup dry run", ["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json"]],
    ["usage error", ["cleanup-volumes", "--environment", "staging", "--older-than", "soon", "--format", "json"]],
  ];
  for (const [name, args] of cases) {
    test(name, async () => {
      const { dir, env } = workspace(moto.url);
      const bin = await runBin(args, { cwd: dir, env });
      const deno = await runDeno(args, { cwd: dir, env });
      expect(deno.stderr).toBe(bin.stderr);
      expect(deno.code).toBe(bin.code);
      expect(stable(deno.json)).toEqual(stable(bin.json));
    });
  }

  test("version reports the runtime", async () => {
    const { dir, env } = workspace(moto.url);
    const r = await runDeno(["version", "--format", "json"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.json.result.runtime).toMatch(/^deno \d+\.\d+/);
    expect(r.json.result.target).toBe("source");
  });
});
