import type { ExitName } from "./exit-codes.ts";

/** Where a bad value came from: a flag, an env var, a config file and key, a plan file. */
export interface Source {
  kind: "flag" | "env" | "file" | "default" | "plan" | "argument";
  /** `--older-than`, `OPSCTL_AWS__REGION`, `/repo/opsctl.config.yaml` … */
  name: string;
  /** Dotted key path inside a file, when there is one. */
  key?: string;
}

export function describeSource(s: Source): string {
  switch (s.kind) {
    case "flag":
      return `flag ${s.name}`;
    case "env":
      return `env ${s.name}`;
    case "file":
      return s.key ? `${s.name}: ${s.key}` : s.name;
    case "default":
      return "default";
    case "plan":
      return s.key ? `plan ${s.name}: ${s.key}` : `plan ${s.name}`;
    case "argument":
      return `argument ${s.name}`;
  }
}

export interface Problem {
  message: string;
  source?: Source;
  resource?: string;
}

/**
 * The only error type that carries an exit code. Everything that should end a run
 * with a documented code throws one of these; anything else is a bug (exit 1).
 */
export class OpsError extends Error {
  readonly exit: ExitName;
  readonly problems: Problem[];
  readonly hint?: string;

  constructor(exit: ExitName, problems: Problem[] | string, opts: { hint?: string; cause?: unknown } = {}) {
    const list = typeof problems === "string" ? [{ message: problems }] : problems;
    super(list.map((p) => p.message).join("; "), { cause: opts.cause });
    this.name = "OpsError";
    this.exit = exit;
    this.problems = list;
    this.hint = opts.hint;
  }
}

export const usageError = (p: Problem[] | string, hint?: string) => new OpsError("usage", p, { hint });
export const validationError = (p: Problem[] | string, hint?: string) => new OpsError("validation", p, { hint });
export const remoteError = (p: Problem[] | string, cause?: unknown) => new OpsError("remote", p, { cause });

export function isOpsError(e: unknown): e is OpsError {
  return e instanceof OpsError;
}
