// TEMPORARY (lead's branch): replaced by helper B's selection at merge.
import type { Selection, TargetsSpec } from "./model.ts";

export function selectTargets(spec: TargetsSpec, c: { names: string[]; tags: string[]; environment: string; source?: string }): Selection {
  const tags = Object.fromEntries(c.tags.map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]));
  const chosen = spec.targets.filter((t) => (!c.names.length || c.names.includes(t.name)) && Object.entries(tags).every(([k, v]) => t.tags[k] === v));
  const blocked = chosen.filter((t) => t.kind === "aws" && spec.blocked.includes(t.account));
  return {
    targets: chosen.filter((t) => !blocked.includes(t)),
    blocked: blocked.map((t) => ({ name: t.name, account: t.kind === "aws" ? t.account : "", reason: "blocked" })),
    criteria: { names: c.names, tags, environment: c.environment, source: c.source ?? spec.source },
  };
}
