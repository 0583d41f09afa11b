import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { root } from "../../src/commands/index.ts";
import type { OpsCommand, PlannableCommand } from "../../src/core/command.ts";

// Walks the command registry: every command that can mutate must declare its scope
// flags, its provider permissions, be documented, and have dry-run and apply e2e tests.

const ROOT = join(import.meta.dir, "..", "..");

function walk(cmd: OpsCommand, path: string[] = []): [string, OpsCommand][] {
  if (cmd.kind === "group") return Object.entries(cmd.subCommands).flatMap(([name, c]) => walk(c, [...path, name]));
  return [[path.join(" "), cmd]];
}

const commands = walk(root);
const plannable = commands.filter(([, c]) => c.kind === "plannable") as [string, PlannableCommand][];
const e2eSources = readdirSync(join(ROOT, "test", "e2e"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => readFileSync(join(ROOT, "test", "e2e", f), "utf8"))
  .join("\n");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

describe("command registry", () => {
  test("has plannable commands", () => expect(plannable.length).toBeGreaterThan(0));

  for (const [path, cmd] of commands) {
    test(`${path}: described, in its own folder, and documented in the README`, () => {
      expect(cmd.description.length).toBeGreaterThan(10);
      expect(existsSync(join(ROOT, "src", "commands", path.split(" ")[0] as string))).toBe(true);
      expect(readme).toContain(`opsctl ${path}`);
    });
  }

  for (const [path, cmd] of plannable) {
    test(`${path}: scope flags, safety flags and permissions are declared`, () => {
      const flags = new Map(cmd.flags.map((f) => [f.name, f]));
      expect(flags.get("environment")?.required).toBe(true);
      for (const f of ["region", "account", "dry-run", "format", "show-config", "config", "yes", "out", "max-changes", "no-color", "quiet", "verbose"]) {
        expect(flags.has(f)).toBe(true);
      }
      expect(cmd.permissions.length).toBeGreaterThan(0);
      // A command applies through per-operation handlers or all-or-nothing groups.
      expect(Object.keys(cmd.apply).length + (cmd.batch ? 1 : 0)).toBeGreaterThan(0);
    });

    test(`${path}: a semver version, and config defaults its own schema accepts`, () => {
      expect(cmd.version).toMatch(/^\d+\.\d+\.\d+/);
      if (cmd.config) expect(v.safeParse(cmd.config.schema, cmd.config.defaults).issues).toBeUndefined();
    });

    test(`${path}: has end-to-end tests of its dry run and its apply`, () => {
      // Positional words (a task) may come between the command and its flags.
      expect(e2eSources).toMatch(new RegExp(`"${path}",(?: "[a-z][^"]*",)* "--environment"`));
      expect(e2eSources).toMatch(new RegExp(`\\["${path}",[^\\]]*"--dry-run"`));
      expect(e2eSources).toMatch(new RegExp(`\\["${path}",(?![^\\]]*"--dry-run")[^\\]]*\\]`));
    });
  }
});
