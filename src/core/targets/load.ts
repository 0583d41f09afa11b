import { readFileSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import * as v from "valibot";
import { printable } from "../../cli/argv.ts";
import type { Redactor } from "../../config/redact.ts";
import type { Config } from "../../config/schema.ts";
import { formatKeyPath } from "../../config/schema-walk.ts";
import { parseSecretRef } from "../../config/secrets.ts";
import { type Problem, type Source, usageError } from "../errors.ts";
import { closest } from "../suggest.ts";
import { type Target, type TargetEntry, TargetsFileSchema, TargetsListSchema, type TargetsSpec } from "./model.ts";

const MAX_BYTES = 1024 * 1024;
const FORMATS = [".yaml", ".yml", ".json"];

export interface LoadTargetsOptions {
  /** `--targets FILE`, relative to cwd; replaces the config's `targets`. */
  file?: string;
  cwd: string;
  /** The resolved core config (its `targets` and `blocked`). */
  config: Config;
  /** Where the config's `targets` came from, for messages (see describeConfigKey). */
  sourceOfConfig?: string;
  /** Literal external ids are added to it, so no output can show them. */
  redactor?: Redactor;
}

/**
 * The targets a fleet run may select from: the file given with --targets (which replaces
 * the config's `targets`), else the config's. `blocked` is the union of both lists, so a
 * targets file can add blocked accounts but never unblock one. Every problem in the file
 * is reported at once, each naming the file and the key (exit 2).
 */
export async function loadTargets(o: LoadTargetsOptions): Promise<TargetsSpec> {
  const blockedFrom: Record<string, string[]> = {};
  const block = (account: string, where: string) => {
    blockedFrom[account] = [...(blockedFrom[account] ?? []), where];
  };
  (o.config.blocked ?? []).forEach((a, i) => {
    block(a, `config blocked[${i}]`);
  });

  let targets: Target[];
  let source: string;
  if (o.file !== undefined) {
    const shown = printable(o.file, 512);
    const file = await readTargetsFile(resolve(o.cwd, o.file), shown);
    source = `--targets ${shown}`;
    targets = file.targets.map((t, i) => withSource(t, `${shown} targets[${i}]`));
    (file.blocked ?? []).forEach((a, i) => {
      block(a, `${shown} blocked[${i}]`);
    });
    if (!targets.length)
      throw usageError([{ message: `${shown}: targets: the list is empty; add at least one target`, source: fileSource(o.file, "targets") }]);
  } else {
    source = "config targets";
    const where = o.sourceOfConfig ?? "config targets";
    // The config layers were checked against the same schema; parsing again applies the entries' defaults.
    const parsed = v.safeParse(TargetsListSchema, o.config.targets ?? []);
    if (!parsed.success) throw usageError(parsed.issues.map((i) => ({ message: `${where}${formatKeyPath(["", ...pathOf(i)])}: ${i.message}` })));
    targets = parsed.output.map((t, i) => withSource(t, `${where}[${i}]`));
    if (!targets.length) {
      throw usageError(
        [{ message: "no targets: give --targets FILE (YAML or JSON with a `targets:` list), or set `targets` in the config" }],
        "See docs/targets.md for the file's shape; `opsctl targets sync --from-organization` writes one from AWS Organizations.",
      );
    }
  }
  for (const t of targets) {
    if (t.kind === "aws" && t.externalId && parseSecretRef(t.externalId).kind === "literal") o.redactor?.add(t.externalId);
  }
  return { targets, blocked: Object.keys(blockedFrom), source, blockedFrom };
}

/** How a resolved config key's source reads in messages: "repository config /x/opsctl.config.yaml targets". */
export function describeConfigKey(
  resolved: { entries: { key: string; source: Source }[]; files: { repository?: string; user?: string } },
  key: string,
): string | undefined {
  const e = resolved.entries.find((x) => x.key === key);
  if (!e) return undefined;
  const s = e.source;
  if (s.kind === "file") {
    const role = s.name === resolved.files.repository ? "repository config" : s.name === resolved.files.user ? "user config" : "config";
    return `${role} ${s.name} ${s.key ?? key}`;
  }
  if (s.kind === "env") return `env ${s.name}`;
  return s.kind === "flag" ? `flag ${s.name}` : `config ${key}`;
}

function withSource(t: TargetEntry, source: string): Target {
  return { ...t, source } as Target;
}

function fileSource(file: string, key?: string): Source {
  return { kind: "file", name: printable(file, 512), ...(key ? { key } : {}) };
}

/** Reads and checks a targets file; all schema problems at once. */
export async function readTargetsFile(path: string, shown: string): Promise<v.InferOutput<typeof TargetsFileSchema>> {
  return (await readTargetsFileRaw(path, shown)).checked;
}

/** A checked targets file, and its data as written (defaults not filled in), for tools that rewrite it. */
export async function readTargetsFileRaw(
  path: string,
  shown: string,
): Promise<{ raw: Record<string, unknown>; checked: v.InferOutput<typeof TargetsFileSchema> }> {
  const fail = (message: string): never => {
    throw usageError(
      [{ message: `${shown}: ${message}`, source: fileSource(shown) }],
      "A targets file is YAML or JSON with `targets:` (and optionally `blocked:`); see docs/targets.md.",
    );
  };
  const ext = extname(path).toLowerCase();
  let text = "";
  try {
    const st = statSync(path);
    if (st.isDirectory()) fail("is a directory, not a targets file");
    if (!FORMATS.includes(ext)) fail(`unsupported targets file format '${printable(ext || path.split("/").pop() || path, 40)}'; use ${FORMATS.join(", ")}`);
    // A FIFO or device would block the read forever.
    if (!st.isFile()) fail("is not a regular file");
    if (st.size > MAX_BYTES) fail(`is ${st.size} bytes; the limit is ${MAX_BYTES}`);
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as { exit?: string }).exit) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    fail(
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "cannot read targets file (permission denied)" : `cannot read targets file (${code ?? "error"})`,
    );
  }
  let data: unknown;
  try {
    if (ext === ".json") data = JSON.parse(text);
    else data = (await import("yaml")).parse(text, { prettyErrors: true, maxAliasCount: 100 });
  } catch (e) {
    fail(`does not parse: ${firstLine(String((e as Error).message ?? e))}`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) fail("the top level must be a mapping with a `targets:` list");
  const r = v.safeParse(TargetsFileSchema, data);
  if (r.success) return { raw: data as Record<string, unknown>, checked: r.output };
  throw usageError(
    r.issues.map((i) => issueProblem(i, shown)),
    "See docs/targets.md for the targets file's shape.",
  );
}

function pathOf(issue: v.BaseIssue<unknown>): string[] {
  return (issue.path ?? []).map((p) => String(p.key));
}

function issueProblem(issue: v.BaseIssue<unknown>, shown: string): Problem {
  const path = pathOf(issue);
  const key = formatKeyPath(path) || "(top level)";
  let message: string;
  if (issue.type === "strict_object" && path.length) {
    const last = path[path.length - 1] as string;
    const known = path.length === 1 ? ["targets", "blocked"] : KNOWN_TARGET_KEYS;
    const hint = closest(last, known);
    message = `${key}: unknown key${hint ? ` (did you mean '${hint}'?)` : ""}`;
  } else if (path[path.length - 1] === "externalId") {
    // Never echo what was found at a secret key.
    message = `${key}: ${issue.message.startsWith("Invalid") ? `expected ${issue.expected}` : issue.message} (value not shown: secret)`;
  } else if (issue.message.startsWith("Invalid")) {
    message =
      issue.received === "undefined" ? `${key}: required (${issue.expected})` : `${key}: expected ${issue.expected}, got ${printable(issue.received, 60)}`;
  } else {
    message = `${key}: ${issue.message}${issue.kind === "schema" ? `, got ${printable(issue.received, 60)}` : ""}`;
  }
  return { message: `${shown}: ${message}`, source: fileSource(shown, key) };
}

const KNOWN_TARGET_KEYS = ["kind", "name", "account", "roles", "externalId", "regions", "tags", "mode", "environments", "contexts", "kubeconfig"];

function firstLine(s: string): string {
  return (s.split("\n")[0] ?? s).trim().slice(0, 300);
}
