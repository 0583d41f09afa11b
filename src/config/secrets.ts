import { readFileSync } from "node:fs";
import { type Problem, usageError } from "../core/errors.ts";
import type { Redactor } from "./redact.ts";

export type SecretRef = { kind: "env"; name: string } | { kind: "file"; path: string } | { kind: "literal" };

export function parseSecretRef(value: string): SecretRef {
  if (value.startsWith("env:")) return { kind: "env", name: value.slice(4) };
  if (value.startsWith("file:")) return { kind: "file", path: value.slice(5) };
  return { kind: "literal" };
}

/** What show-config prints instead of a secret: never the value, only where it comes from. */
export function describeSecret(value: string, sourceLabel: string): string {
  const ref = parseSecretRef(value);
  if (ref.kind === "env") return `set (from env:${ref.name})`;
  if (ref.kind === "file") return `set (from file:${ref.path})`;
  return `set (from ${sourceLabel})`;
}

/**
 * Resolves a secret reference at the moment a provider needs it. A missing variable or
 * unreadable file is a configuration problem (exit 2) named by key and reference,
 * never by value.
 */
export function resolveSecret(value: string, where: string, env: Record<string, string | undefined>, redactor: Redactor): string {
  const ref = parseSecretRef(value);
  const problems: Problem[] = [];
  let out = value;
  if (ref.kind === "env") {
    const v = env[ref.name];
    if (v === undefined || v === "") problems.push({ message: `${where}: env:${ref.name} is not set` });
    else out = v;
  } else if (ref.kind === "file") {
    try {
      out = readFileSync(ref.path, "utf8").trim();
    } catch (e) {
      problems.push({ message: `${where}: file:${ref.path} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})` });
    }
  }
  if (problems.length) throw usageError(problems);
  redactor.add(out);
  return out;
}
