import { createHash } from "node:crypto";
import { memoryCheckpoint } from "./memory.ts";
import { setOwn } from "./own.ts";

/** JSON with sorted keys, so equal data always hashes the same regardless of insertion order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Garbage per character hashed, for src/core/memory.ts: each member's sorted-key copy, its
 * JSON, the pieces and the joined chunk. Measured on a 50k-volume dry run: at 3 the peak RSS
 * was ~11 MB higher than at 6, for about the same CPU.
 */
const GARBAGE_PER_CHAR = 6;

/**
 * sha256 of canonicalJson(value), fed to the hash piece by piece: the outer object and
 * arrays (a plan and its actions[], skipped[]) member by member, each member with the
 * native stringify. A 50k-volume plan is tens of MB of JSON; it is never one string.
 * (Measured at 21k actions: JS recursion all the way down was 3–4× slower than this.)
 */
export function canonicalSha256(value: unknown): string {
  const hash = createHash("sha256");
  let buf: string[] = [];
  let size = 0;
  const out = (s: string) => {
    buf.push(s);
    size += s.length;
    if (size > 1 << 16) {
      hash.update(buf.join(""));
      memoryCheckpoint(size * GARBAGE_PER_CHAR);
      buf = [];
      size = 0;
    }
  };
  writeCanonical(value, out, 0);
  hash.update(buf.join(""));
  return hash.digest("hex");
}

function writeCanonical(value: unknown, out: (s: string) => void, depth: number): void {
  if (depth >= 2 || value === null || typeof value !== "object") {
    out(JSON.stringify(sortKeys(value)) ?? "null");
    return;
  }
  if (Array.isArray(value)) {
    out("[");
    for (let i = 0; i < value.length; i++) {
      if (i) out(",");
      const item = value[i];
      // As JSON.stringify does in arrays.
      writeCanonical(item === undefined || typeof item === "function" ? null : item, out, depth + 1);
    }
    out("]");
    return;
  }
  out("{");
  let first = true;
  for (const [key, v] of Object.entries(sortKeysShallow(value) as Record<string, unknown>)) {
    if (typeof v === "function" || typeof v === "symbol") continue;
    out(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
    first = false;
    writeCanonical(v, out, depth + 1);
  }
  out("}");
}

/** The object with its own keys sorted and undefined members dropped (nested values untouched). */
function sortKeysShallow(value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) setOwn(out, key, v);
  }
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) setOwn(out, key, sortKeys(v));
    }
    return out;
  }
  return value;
}
