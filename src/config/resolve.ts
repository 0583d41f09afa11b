import { resolve as resolvePath } from "node:path";
import * as v from "valibot";
import { canonicalJson, sha256 } from "../core/canonical.ts";
import { describeSource, type OpsError, type Problem, type Source, usageError } from "../core/errors.ts";
import { closest } from "../core/suggest.ts";
import { readEnvLayer, setPath } from "./env.ts";
import { findRepoConfig, findUserConfig, loadConfigFile } from "./files.ts";
import { configModel } from "./model.ts";
import type { Redactor } from "./redact.ts";
import type { Config } from "./schema.ts";
import { formatKeyPath, isLeaf, isSecretPath, mapSecrets, schemaAt } from "./schema-walk.ts";
import { describeSecret, parseSecretRef } from "./secrets.ts";

export interface FlagSetting {
  key: string;
  value: unknown;
  flag: string;
}

export interface ResolveOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** `--config FILE`: replaces the repository search. */
  configFile?: string;
  environment?: string;
  flags: FlagSetting[];
  redactor: Redactor;
}

export interface Entry {
  key: string;
  value: unknown;
  source: Source;
  secret: boolean;
  shadowed: { value: unknown; source: Source }[];
}

export interface ResolvedConfig {
  config: Config;
  entries: Entry[];
  files: { repository?: string; user?: string };
  environment?: string;
  digest: string;
}

interface Layer {
  role: "default" | "repository" | "user" | "env" | "flag";
  data: Record<string, unknown>;
  sourceOf: (key: string) => Source;
}

/**
 * Builds the configuration from all layers (DESIGN §4) with per-key provenance.
 * Every problem in every layer is collected and thrown together as one usage error.
 */
export async function resolveConfig(opts: ResolveOptions): Promise<ResolvedConfig> {
  const problems: Problem[] = [];
  const layers: Layer[] = [{ role: "default", data: configModel().defaults, sourceOf: () => ({ kind: "default", name: "default" }) }];
  const files: ResolvedConfig["files"] = {};

  const fileLayer = async (role: "repository" | "user", path: string | undefined) => {
    if (!path) return;
    files[role] = path;
    try {
      const { data } = await loadConfigFile(path);
      layers.push({ role, data, sourceOf: (key) => ({ kind: "file", name: path, key }) });
    } catch (e) {
      problems.push(...collect(e));
    }
  };
  try {
    const repo = opts.configFile ? resolvePath(opts.cwd, opts.configFile) : findRepoConfig(opts.cwd);
    await fileLayer("repository", repo);
  } catch (e) {
    problems.push(...collect(e));
  }
  try {
    await fileLayer("user", findUserConfig(opts.env));
  } catch (e) {
    problems.push(...collect(e));
  }

  const envLayer = readEnvLayer(opts.env);
  problems.push(...envLayer.problems);
  layers.push({ role: "env", data: envLayer.data, sourceOf: (key) => ({ kind: "env", name: envLayer.origin.get(key) ?? "OPSCTL_*" }) });

  const flagData: Record<string, unknown> = {};
  const flagOf = new Map<string, string>();
  for (const f of opts.flags) {
    setPath(flagData, f.key.split("."), f.value);
    flagOf.set(f.key, f.flag);
  }
  layers.push({ role: "flag", data: flagData, sourceOf: (key) => ({ kind: "flag", name: flagOf.get(key) ?? "flag" }) });

  for (const layer of layers.slice(1)) {
    problems.push(...schemaProblems(layer));
    if (layer.role !== "repository" && layer.data.locked !== undefined) {
      problems.push({ message: "locked: may only be set in the repository config", source: layer.sourceOf("locked") });
    }
  }

  const merged = new Map<string, Entry>();
  for (const layer of layers) {
    const leaves = flatten(layer.data, []).filter(([k]) => !k.startsWith("environments."));
    const block = opts.environment ? (layer.data.environments as Record<string, unknown> | undefined)?.[opts.environment] : undefined;
    const envLeaves = block && typeof block === "object" ? flatten(block as Record<string, unknown>, []) : [];
    for (const [key, value] of leaves) put(merged, key, value, layer.sourceOf(key));
    for (const [key, value] of envLeaves) put(merged, key, value, layer.sourceOf(`environments.${opts.environment}.${key}`));
  }

  problems.push(...lockedProblems(layers, merged));
  if (problems.length) throw usageError(problems);

  const config: Record<string, unknown> = {};
  const entries = [...merged.values()].sort((a, b) => a.key.localeCompare(b.key));
  for (const e of entries) {
    setPath(config, e.key.split("."), e.value);
    // Literal secrets are redacted from all output at once; references are resolved (and redacted) at use.
    if (e.secret && typeof e.value === "string" && parseSecretRef(e.value).kind === "literal") opts.redactor.add(e.value);
    // Secrets inside lists of entries (targets[].externalId) are leaves of no key of their own.
    if (!e.secret && e.value && typeof e.value === "object") {
      for (const layered of [e, ...e.shadowed])
        mapSecrets(e.key.split("."), layered.value, (s) => parseSecretRef(s).kind === "literal" && opts.redactor.add(s));
    }
  }
  return {
    config: config as unknown as Config,
    entries,
    files,
    environment: opts.environment,
    digest: entriesDigest(entries),
  };
}

function entriesDigest(entries: Entry[]): string {
  return `sha256:${sha256(canonicalJson(entries.map((e) => [e.key, displayValue(e)])))}`;
}

/**
 * The configuration as one command sees it: the core keys and its own section, not the
 * sections of other commands. Its digest (recorded in plans) and --show-config then do
 * not change when a binary gains or loses another command.
 */
export function forSection(resolved: ResolvedConfig, sections: string[], own: string | undefined): ResolvedConfig {
  const others = new Set(sections.filter((s) => s !== own));
  const entries = resolved.entries.filter((e) => !others.has(e.key.split(".")[0] as string));
  return { ...resolved, entries, digest: entriesDigest(entries) };
}

/** The value as it may be shown: secrets become "set (from …)". */
export function displayValue(e: { value: unknown; secret?: boolean; source: Source; key?: string }): unknown {
  const secret = e.secret ?? (e.key ? isSecretPath(e.key.split(".")) : false);
  if (secret && typeof e.value === "string") return describeSecret(e.value, describeSource(e.source));
  if (!secret && e.key && e.value && typeof e.value === "object") {
    const base = e.key.split(".");
    return mapSecrets(base, e.value, (s, path) => describeSecret(s, `${describeSource(e.source)}${formatKeyPath(["", ...path.slice(base.length)])}`));
  }
  return e.value;
}

function put(merged: Map<string, Entry>, key: string, value: unknown, source: Source): void {
  const prev = merged.get(key);
  const secret = isSecretPath(key.split("."));
  const shadowed = prev ? [{ value: prev.value, source: prev.source }, ...prev.shadowed] : [];
  merged.set(key, { key, value, source, secret, shadowed });
}

/** Leaves by dotted key; arrays and unknown keys are leaves. */
function flatten(obj: Record<string, unknown>, path: string[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, val] of Object.entries(obj)) {
    const p = [...path, k];
    if (val && typeof val === "object" && !Array.isArray(val) && !isLeaf(p)) out.push(...flatten(val as Record<string, unknown>, p));
    else out.push([p.join("."), val]);
  }
  return out;
}

function schemaProblems(layer: Layer): Problem[] {
  const r = v.safeParse(configModel().schema, layer.data);
  if (r.success) return [];
  return r.issues.map((issue: v.BaseIssue<unknown>) => {
    const path = (issue.path ?? []).map((p: { key: unknown }) => String(p.key));
    const key = formatKeyPath(path);
    let message = `${key || "(top level)"}: ${issue.message}`;
    if (issue.type === "strict_object" && path.length) {
      const parentKeys = Object.keys(parentEntries(path.slice(0, -1)));
      const hint = closest(path[path.length - 1] as string, parentKeys);
      message = `${key}: unknown key${hint ? ` (did you mean '${formatKeyPath([...path.slice(0, -1), hint])}'?)` : ""}`;
    } else if (isSecretPath(path)) {
      // Never echo what was found at a secret key: it may be the secret, just mistyped.
      message = `${key}: ${issue.message.startsWith("Invalid") ? `expected ${issue.expected}` : issue.message} (value not shown: secret)`;
    } else if (issue.kind === "schema" && issue.type !== "strict_object") {
      message = issue.message.startsWith("Invalid")
        ? `${key}: expected ${issue.expected}, got ${issue.received}`
        : `${key}: ${issue.message}, got ${issue.received}`;
    }
    return { message, source: layer.sourceOf(key) };
  });
}

function parentEntries(path: string[]): Record<string, unknown> {
  const node = schemaAt(path)?.node;
  // A list entry with several shapes (a target: aws or kubernetes): any of their keys.
  if (Array.isArray(node?.options)) return Object.assign({}, ...node.options.map((o: { entries?: Record<string, unknown> }) => o.entries ?? {}));
  return node?.entries ?? {};
}

function lockedProblems(layers: Layer[], merged: Map<string, Entry>): Problem[] {
  const repo = layers.find((l) => l.role === "repository");
  const locked = Array.isArray(repo?.data.locked) ? (repo.data.locked as string[]) : [];
  const problems: Problem[] = [];
  for (const entry of merged.values()) {
    const lock = locked.find((l) => entry.key === l || entry.key.startsWith(`${l}.`));
    if (!lock || !repo) continue;
    const layered = [{ source: entry.source }, ...entry.shadowed];
    const above = layered.filter(
      (s) => s.source.kind === "env" || s.source.kind === "flag" || (s.source.kind === "file" && s.source.name !== repo.sourceOf("").name),
    );
    for (const s of above) {
      problems.push({
        message: `${entry.key} is locked by ${describeSource(repo.sourceOf("locked"))} and cannot be changed by ${describeSource(s.source)}`,
        source: s.source,
      });
    }
  }
  return problems;
}

function collect(e: unknown): Problem[] {
  if ((e as OpsError).problems) return (e as OpsError).problems;
  throw e;
}
