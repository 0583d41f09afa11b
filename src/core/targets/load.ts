// TEMPORARY (lead's branch): replaced by helper B's loader at merge.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import type { Config } from "../../config/schema.ts";
import { usageError } from "../errors.ts";
import type { Target, TargetsSpec } from "./model.ts";

export function loadTargets(o: { file?: string; cwd: string; config: Config }): TargetsSpec {
  if (!o.file) throw usageError("no targets: give --targets FILE");
  const path = resolve(o.cwd, o.file);
  const doc = parse(readFileSync(path, "utf8")) as { targets: Target[]; blocked?: string[] };
  const targets = doc.targets.map((t, i) => ({ roles: [], ...t, mode: t.mode ?? "write", tags: t.tags ?? {}, source: `${path} targets[${i}]` }) as Target);
  return { targets, blocked: doc.blocked ?? [], source: `--targets ${path}` };
}
