import { describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { BIN, runProcess } from "../support/bin.ts";

// The standalone binary on a bare host: no PATH, no HOME, nothing but the file.

const bare = (args: string[]) => runProcess(["/usr/bin/env", "-i", BIN, ...args], { cwd: tmpdir(), env: {} });

describe("the binary with an empty environment (env -i)", () => {
  test("--version prints the version only", async () => {
    const r = await bare(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(r.stderr).toBe("");
  });

  test("version --format json names the build target, commit and runtime", async () => {
    const r = await bare(["version", "--format", "json"]);
    expect(r.code).toBe(0);
    expect(r.json.result).toMatchObject({ target: `${process.platform}-${process.arch}`, platform: `${process.platform}-${process.arch}` });
    expect(r.json.result.commit).toMatch(/^[0-9a-f]{12}$/);
    expect(r.json.result.runtime).toMatch(/^bun \d+\.\d+\.\d+$/);
  });

  test("--help works on every command and exits 0; no colour when stdout is not a terminal", async () => {
    for (const args of [["--help"], ["cleanup-volumes", "--help"], ["apply", "-h"], ["lock", "release", "--help"], ["config", "--help"]]) {
      const r = await bare(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("USAGE");
      expect(r.stdout).not.toContain("\u001b[");
    }
  });

  test("output larger than a pipe buffer arrives whole (stdout JSON and stderr), before the process exits", async () => {
    const flags = Array.from({ length: 3000 }, (_, i) => `--bogus-flag-number-${i}`);
    const r = await bare(["cleanup-volumes", "--format", "json", ...flags]);
    expect(r.code).toBe(2);
    expect(r.json.errors).toHaveLength(3001);
    expect(r.stdout.length).toBeGreaterThan(256 * 1024);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(3002);
  });

  test("no command, an unknown command, a group without its subcommand → 2 with a hint", async () => {
    const none = await bare([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("opsctl needs a command");
    const unknown = await bare(["cleanup-volume"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'cleanup-volume' (did you mean 'cleanup-volumes'?)");
    const group = await bare(["lock", "--format", "json"]);
    expect(group.code).toBe(2);
    expect(group.json.exit.name).toBe("usage");
  });
});
