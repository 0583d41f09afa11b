import { closeSync, openSync, writeSync } from "node:fs";
import type { Redactor } from "../config/redact.ts";
import { usageError } from "./errors.ts";
import { memoryCheckpoint } from "./memory.ts";

/**
 * Writes exactly JSON.stringify(value, null, 2), in pieces: the outer objects and arrays
 * (the envelope, the plan, its actions[] and skipped[]) element by element, each element
 * with the native stringify. A 50k-volume plan is tens of MB of JSON; this never holds it
 * as one string (nor its scrubbed copy). Pieces are whole lines, so the redactor, which
 * scrubs each write, never sees a secret cut in two.
 */
export function writeJson(value: unknown, write: (s: string) => void): void {
  let buf: string[] = [];
  let size = 0;
  const out = (s: string) => {
    buf.push(s);
    size += s.length;
    if (size > 1 << 16) flush();
  };
  const flush = () => {
    if (size) write(buf.join(""));
    // The pieces, the joined chunk, its scrubbed and encoded copies (memory.ts).
    memoryCheckpoint(size * GARBAGE_PER_CHAR);
    buf = [];
    size = 0;
  };
  emit(value, "", 0, out);
  flush();
}

/** Garbage per character written: the stringified pieces, the joined chunk, its scrubbed and encoded copies. */
const GARBAGE_PER_CHAR = 6;

/** How many levels of objects and arrays are written member by member before falling back to the native stringify. */
const STREAM_DEPTH = 3;

function emit(value: unknown, indent: string, depth: number, out: (s: string) => void): void {
  const v =
    value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function"
      ? (value as { toJSON: () => unknown }).toJSON()
      : value;
  if (v === null || typeof v !== "object" || depth >= STREAM_DEPTH) {
    const text = JSON.stringify(v, null, 2) ?? "null";
    out(indent ? text.replaceAll("\n", `\n${indent}`) : text);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out("[]");
      return;
    }
    out("[\n");
    for (let i = 0; i < v.length; i++) {
      out(inner);
      const item = v[i];
      emit(item === undefined || typeof item === "function" || typeof item === "symbol" ? null : item, inner, depth + 1, out);
      out(i < v.length - 1 ? ",\n" : "\n");
    }
    out(`${indent}]`);
    return;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && typeof x !== "function" && typeof x !== "symbol");
  if (entries.length === 0) {
    out("{}");
    return;
  }
  out("{\n");
  for (const [i, [k, x]] of entries.entries()) {
    out(`${inner}${JSON.stringify(k)}: `);
    emit(x, inner, depth + 1, out);
    out(i < entries.length - 1 ? ",\n" : "\n");
  }
  out(`${indent}}`);
}

function writeAll(fd: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
}

const BAD_PATH = new Set(["ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EROFS"]);

/** A plan file (0600, streamed, scrubbed of secrets); a path the operator got wrong is a usage error naming the flag. */
export function writeJsonFile(path: string, value: unknown, redactor: Redactor, flag: string): void {
  try {
    // Streamed: the plan file of a large run is never one string (nor its scrubbed copy).
    const fd = openSync(path, "w", 0o600);
    try {
      writeJson(value, (t) => writeAll(fd, redactor.scrub(t)));
      writeAll(fd, "\n");
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    // A disk failing under us (ENOSPC, EIO) is not the operator's mistake.
    if (!BAD_PATH.has(code)) throw new Error(`cannot write plan file ${path} (${code})`);
    throw usageError([{ message: `cannot write plan file ${path} (${code})`, source: { kind: "flag", name: flag } }]);
  }
}
