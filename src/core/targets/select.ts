import { type Problem, usageError } from "../errors.ts";
import { closest } from "../suggest.ts";
import type { Selection, Target, TargetsSpec } from "./model.ts";

export interface SelectionCriteria {
  /** `--target NAME` values: only these targets (none: every target). */
  names: string[];
  /** `--target-tag K=V` values: targets carrying every one of these tags. */
  tags: string[];
  /** The run's `--environment`: targets that list `environments` must include it. */
  environment: string;
  /** Where the targets came from, for messages (default: the spec's source). */
  source?: string;
}

/**
 * Which targets a run acts on: names AND tags AND environment restrict (no names and no
 * tags: every target allowed for the environment). A target whose account is blocked is
 * never selected, also when it is named: it is listed in `blocked` with the reason. An
 * unknown name or a selection that ends up empty is a usage error (exit 2) that says
 * which criterion matched nothing. The order is the order of the targets' definition.
 */
export function selectTargets(spec: TargetsSpec, c: SelectionCriteria): Selection {
  const source = c.source ?? spec.source;
  const problems: Problem[] = [];
  const known = spec.targets.map((t) => t.name);
  const names = [...new Set(c.names)];
  for (const n of names) {
    if (known.includes(n)) continue;
    const hint = closest(n, known);
    problems.push({
      message: `--target ${n}: no such target in ${source}${hint ? ` (did you mean ${hint}?)` : ""}; targets: ${list(known)}`,
      source: { kind: "flag", name: "--target" },
    });
  }
  const tags: Record<string, string> = {};
  for (const t of c.tags) {
    const eq = t.indexOf("=");
    if (eq <= 0) {
      problems.push({ message: `--target-tag ${t}: must be KEY=VALUE`, source: { kind: "flag", name: "--target-tag" } });
      continue;
    }
    const key = t.slice(0, eq);
    if (tags[key] !== undefined && tags[key] !== t.slice(eq + 1)) {
      problems.push({
        message: `--target-tag ${key} is given twice with different values; a target has one value per tag`,
        source: { kind: "flag", name: "--target-tag" },
      });
    }
    tags[key] = t.slice(eq + 1);
  }
  // A target named explicitly that this environment may not use: refused, not silently left out.
  for (const t of spec.targets) {
    if (names.includes(t.name) && !allowedIn(t, c.environment)) {
      problems.push({
        message: `--target ${t.name}: only for environment${(t.environments?.length ?? 0) > 1 ? "s" : ""} ${t.environments?.join(", ")} (${t.source}), not '${c.environment}'`,
        source: { kind: "flag", name: "--target" },
      });
    }
  }
  if (problems.length) throw usageError(problems, "Run 'opsctl targets list' to see the targets and their tags.");

  const blockedSet = new Set(spec.blocked);
  const matches = spec.targets.filter(
    (t) => (!names.length || names.includes(t.name)) && Object.entries(tags).every(([k, val]) => t.tags[k] === val) && allowedIn(t, c.environment),
  );
  const targets: Target[] = [];
  const blocked: Selection["blocked"] = [];
  for (const t of matches) {
    if (t.kind === "aws" && blockedSet.has(t.account)) {
      const where = spec.blockedFrom?.[t.account]?.join(", ") ?? "blocked";
      blocked.push({ name: t.name, account: t.account, reason: `account ${t.account} is in the blocked list (${where}): never targeted` });
    } else {
      targets.push(t);
    }
  }
  const criteria = { names, tags, environment: c.environment, source };
  if (!targets.length) throw usageError([{ message: emptyMessage(spec, criteria, blocked) }], "Run 'opsctl targets list' to see the targets and their tags.");
  return { targets, blocked, criteria };
}

function allowedIn(t: Target, environment: string): boolean {
  return !t.environments || t.environments.includes(environment);
}

/** Says which criterion left nothing: the tags, the environment, or the block list. */
function emptyMessage(spec: TargetsSpec, c: Selection["criteria"], blocked: Selection["blocked"]): string {
  const parts: string[] = [];
  if (c.names.length) parts.push(`--target ${c.names.join(", ")}`);
  const tagText = Object.entries(c.tags).map(([k, v]) => `${k}=${v}`);
  if (tagText.length) parts.push(`--target-tag ${tagText.join(", ")}`);
  const byTags = spec.targets.filter((t) => (!c.names.length || c.names.includes(t.name)) && Object.entries(c.tags).every(([k, v]) => t.tags[k] === v));
  let why: string;
  if (blocked.length) why = `every matching target is blocked: ${blocked.map((b) => `${b.name} (${b.reason})`).join("; ")}`;
  else if (byTags.length) why = `the matching targets (${list(byTags.map((t) => t.name))}) are not for environment '${c.environment}'`;
  else if (tagText.length)
    why = `no target has ${tagText.length > 1 ? "all of the tags" : "the tag"} ${tagText.join(", ")}${c.names.length ? " among the named ones" : ""}`;
  else why = `no target is allowed in environment '${c.environment}'`;
  return `no target selected from ${c.source}${parts.length ? ` by ${parts.join(" and ")}` : ""} for environment '${c.environment}': ${why}`;
}

function list(names: string[]): string {
  return names.length > 20 ? `${names.slice(0, 20).join(", ")}, … (${names.length} in all)` : names.join(", ");
}
