import { readFileSync } from "node:fs";
import * as v from "valibot";
import type { Deps } from "./deps.ts";
import { formatDuration, parseDuration } from "./duration.ts";
import { OpsError, type Problem, usageError, validationError } from "./errors.ts";
import { PLAN_SCHEMA_ID, type Plan, PlanSchema, planDigest, type Scope } from "./plan.ts";

/**
 * Reads a plan file and checks what can be checked without the control plane: it
 * parses, has our schema, its digest matches (not edited), it was made by a
 * compatible opsctl, and it is not too old. Each failure is exit 3 before anything runs.
 */
export function loadSavedPlan(path: string, deps: Deps, maxAge: string): Plan {
  return checkSavedPlan(readPlanFile(path), path, deps, maxAge);
}

/** The file's JSON; unreadable is a usage error (the path), not JSON is exit 3 (not a plan). */
export function readPlanFile(path: string): unknown {
  const src = { kind: "plan" as const, name: path };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw usageError([
      { message: `cannot read plan file ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`, source: { kind: "argument", name: path } },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw validationError([{ message: `${path} is not a plan file: ${(e as Error).message}`, source: src }]);
  }
}

/** A plan/v1 document (a plan file, or one scope's section of a multi-scope plan) checked as described above. */
export function checkSavedPlan(raw: unknown, path: string, deps: Deps, maxAge: string): Plan {
  const src = { kind: "plan" as const, name: path };
  const schema = (raw as { schema?: unknown })?.schema;
  if (schema !== PLAN_SCHEMA_ID) {
    throw validationError([{ message: `${path}: plan schema is ${JSON.stringify(schema ?? null)}, this opsctl reads ${PLAN_SCHEMA_ID}`, source: src }]);
  }
  const plan = parseOrRefuse(PlanSchema, raw, path);
  const problems: Problem[] = [];
  if (planDigest(plan) !== plan.digest) {
    problems.push({ message: `${path}: digest mismatch: the plan was changed after it was made (tampered or edited); make a new plan`, source: src });
  }
  problems.push(...checkAgeAndVersion(plan, path, deps, maxAge));
  if (problems.length) throw new OpsError("validation", problems, { hint: "Nothing was changed." });
  return plan;
}

/** A plan document against its schema; the first five problems, each with its key path, are exit 3. */
export function parseOrRefuse<S extends v.GenericSchema>(schema: S, raw: unknown, path: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, raw);
  if (parsed.success) return parsed.output;
  throw validationError(
    parsed.issues.slice(0, 5).map((i) => ({
      message: `${path}: ${(i.path ?? []).map((p) => p.key).join(".") || "(top)"}: ${i.message}`,
      source: { kind: "plan" as const, name: path },
    })),
  );
}

/** Made by a compatible opsctl, not from the future, not older than --max-age. */
export function checkAgeAndVersion(plan: { version: string; createdAt: string }, path: string, deps: Deps, maxAge: string): Problem[] {
  const src = { kind: "plan" as const, name: path };
  const problems: Problem[] = [];
  if (!compatible(plan.version, deps.build.version)) {
    problems.push({
      message: `${path}: made by opsctl ${plan.version}, this is ${deps.build.version}; plans are applied by the same major.minor version`,
      source: src,
    });
  }
  const maxAgeMs = parseDuration(maxAge) as number;
  const age = deps.now().getTime() - Date.parse(plan.createdAt);
  if (!Number.isFinite(age) || age < -60_000) {
    problems.push({ message: `${path}: createdAt ${plan.createdAt} is in the future`, source: src });
  } else if (age > maxAgeMs) {
    problems.push({
      message: `${path}: the plan is ${formatDuration(Math.floor(age / 60_000) * 60_000 || 60_000)} old, older than --max-age ${maxAge}; make a new plan`,
      source: src,
    });
  }
  return problems;
}

function compatible(a: string, b: string): boolean {
  const [am, an] = a.split(".");
  const [bm, bn] = b.split(".");
  return am === bm && an === bn;
}

/** The scope keys a saved plan is applied to, and the config key each may come from. */
const SCOPE_KEYS = ["environment", "region", "account"] as const;

/**
 * A saved plan's scope is part of what was reviewed: `opsctl apply` acts on exactly that
 * scope, whether it came from flags or config when the plan was made. Config and flags
 * given to `apply` may only confirm it: a key they resolve to a different value (or
 * that the plan did not have) is exit 3, naming both values and where each came from.
 */
export function reconcileScope(
  file: string,
  saved: Scope,
  now: Partial<Record<(typeof SCOPE_KEYS)[number], string>>,
  sourceOf: (key: (typeof SCOPE_KEYS)[number]) => string,
): Scope {
  const problems: Problem[] = [];
  for (const key of SCOPE_KEYS) {
    const value = now[key];
    if (value === undefined || value === saved[key]) continue;
    const planned = saved[key] === undefined ? `no ${key}` : `${key}=${saved[key]}`;
    problems.push({
      message: `${file}: the plan was made for ${planned}, but ${sourceOf(key)} gives ${key}=${value}; apply a plan only to the scope it was made for`,
      source: { kind: "plan", name: file, key: `scope.${key}` },
    });
  }
  if (problems.length) throw validationError(problems, "Nothing was changed. Make a new plan for the other scope, or drop the conflicting flag or config.");
  return { ...saved };
}
