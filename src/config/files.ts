import { existsSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { printable } from "../cli/argv.ts";
import { type Problem, usageError } from "../core/errors.ts";

export const CONFIG_EXTENSIONS = [".json", ".jsonc", ".yaml", ".yml", ".toml"] as const;
const REPO_NAMES = [...CONFIG_EXTENSIONS.map((e) => `opsctl.config${e}`), ".opsctlrc"];
const MAX_BYTES = 1024 * 1024;

export interface LoadedFile {
  path: string;
  data: Record<string, unknown>;
}

/**
 * The repository config: the nearest directory from cwd upward that holds one,
 * stopping at the repository root (the directory with .git) so a stray file in a
 * parent of the checkout never applies.
 */
export function findRepoConfig(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const found = REPO_NAMES.map((n) => join(dir, n)).filter((p) => existsSync(p));
    if (found.length > 1) {
      throw usageError(
        found.slice(1).map((p) => ({ message: `more than one repository config: ${found[0]} and ${p}; keep one`, source: { kind: "file" as const, name: p } })),
      );
    }
    if (found[0]) return found[0];
    if (existsSync(join(dir, ".git"))) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function findUserConfig(env: Record<string, string | undefined>): string | undefined {
  const base = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, ".config") : undefined);
  if (!base) return undefined;
  const found = CONFIG_EXTENSIONS.map((e) => join(base, "opsctl", `config${e}`)).filter((p) => existsSync(p));
  if (found.length > 1) throw usageError(`more than one user config: ${found.join(", ")}; keep one`);
  return found[0];
}

/** Loads one config file through c12 (imported lazily: --help never pays for it). */
export async function loadConfigFile(path: string): Promise<LoadedFile> {
  // A path from --config is operator input: shown whole up to a sane length, never with control characters.
  const shown = printable(path, 512);
  const src = { kind: "file" as const, name: shown };
  const fail = (message: string): never => {
    throw usageError([{ message: `${shown}: ${message}`, source: src }]);
  };
  const name = basename(path);
  const ext = extname(name);
  const isRc = name === ".opsctlrc";
  if (!isRc && !(CONFIG_EXTENSIONS as readonly string[]).includes(ext)) {
    fail(`unsupported config format '${printable(ext || name)}'; use ${CONFIG_EXTENSIONS.join(", ")} or .opsctlrc`);
  }
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    return fail(`cannot read config file (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (st.isDirectory()) fail("is a directory, not a config file");
  // A FIFO or device would block the read forever (a FIFO with no writer never ends).
  if (!st.isFile()) fail("is not a regular file");
  if (st.size > MAX_BYTES) fail(`config file is ${st.size} bytes; the limit is ${MAX_BYTES}`);

  const { loadConfig } = await import("c12");
  try {
    const r = await loadConfig({
      cwd: dirname(path),
      configFile: isRc ? "opsctl-no-main-config" : name,
      rcFile: isRc ? name : false,
      globalRc: false,
      packageJson: false,
      dotenv: false,
      giget: false,
      envName: false,
      extend: false,
      jitiOptions: { fsCache: false },
    } as Parameters<typeof loadConfig>[0]);
    const data = r.config as unknown;
    if (data === null || typeof data !== "object" || Array.isArray(data)) fail("the top level must be a mapping of keys");
    return { path, data: data as Record<string, unknown> };
  } catch (e) {
    if ((e as { exit?: string }).exit) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const msg = code === "EACCES" ? "permission denied" : firstLine(String((e as Error).message ?? e));
    return fail(`does not parse: ${msg}`);
  }
}

function firstLine(s: string): string {
  return s.split("\n")[0]?.trim() ?? s;
}

export function problemsFor(path: string, messages: string[]): Problem[] {
  return messages.map((message) => ({ message, source: { kind: "file", name: path } }));
}
