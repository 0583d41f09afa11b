import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A throwaway "repository" with a .git marker, so config search stops inside it. */
export function tempRepo(files: Record<string, string> = {}, fixedName?: string): string {
  // Golden files align columns around paths: a fixed path keeps the widths stable.
  const dir = fixedName ? join("/tmp/opsctl-golden", fixedName) : mkdtempSync(join(tmpdir(), "opsctl-test-"));
  if (fixedName) rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, ".git"), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Replaces temp paths with stable placeholders so golden files do not depend on the machine. */
export function normalise(text: string, dirs: Record<string, string>): string {
  let out = text;
  for (const [placeholder, dir] of Object.entries(dirs)) out = out.split(dir).join(placeholder);
  return out;
}
