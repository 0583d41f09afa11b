import type { Problem } from "../core/errors.ts";
import { matchKey, schemaAt } from "./schema-walk.ts";

const PREFIX = "OPSCTL_";

export interface EnvLayer {
  data: Record<string, unknown>;
  /** dotted key path → the variable that set it, for provenance. */
  origin: Map<string, string>;
  problems: Problem[];
}

/**
 * `OPSCTL_AWS__REGION` → `aws.region`; `__` separates levels and a single `_` inside a
 * level is a word break, so `OPSCTL_GUARDRAILS__MAX_DELETIONS` → `guardrails.maxDeletions`.
 * Values are coerced by the schema's type at that key; lists are comma-separated or JSON.
 */
export function readEnvLayer(env: Record<string, string | undefined>): EnvLayer {
  const data: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const problems: Problem[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(PREFIX)) continue;
    const raw = env[name] ?? "";
    const segments = name.slice(PREFIX.length).split("__");
    const path: string[] = [];
    let ok = segments.every((s) => s.length > 0);
    for (const seg of segments) {
      const key = ok ? matchKey(path, seg) : undefined;
      if (!key) {
        ok = false;
        break;
      }
      path.push(key);
    }
    const leaf = ok ? schemaAt(path) : undefined;
    if (!leaf || leaf.kind === "object" || leaf.kind === "record") {
      problems.push({
        message: `${name}: not a configuration key (OPSCTL_<SECTION>__<KEY>, e.g. OPSCTL_AWS__REGION)`,
        source: { kind: "env", name },
      });
      continue;
    }
    setPath(data, path, coerce(raw, leaf.kind));
    origin.set(path.join("."), name);
  }
  return { data, origin, problems };
}

function coerce(raw: string, kind: string): unknown {
  if (kind === "number") return raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (kind === "boolean") {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    return raw;
  }
  if (kind === "array") {
    if (raw.trim().startsWith("[")) {
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    }
    return raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return raw;
}

export function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    if (!next || typeof next !== "object" || Array.isArray(next)) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[path[path.length - 1] as string] = value;
}
