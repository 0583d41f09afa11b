import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { canonicalName, nameError } from "../../providers/dns/rdata.ts";
import { type Problem, usageError } from "../../sdk/index.ts";
import type { DnsContext } from "./config.ts";
import { type DesiredEntry, parseDesired } from "./desired.ts";
import type { DesiredInput } from "./diff.ts";
import { type DeleteEdit, parseDelete, parseSet } from "./edits.ts";

// From flags to one desired input per zone. Everything wrong with the inputs is one
// usage error (exit 2) listing every problem, before any server is contacted.

export interface ZoneInput {
  zone: string;
  desired: DesiredInput;
}

export function listFlag(ctx: DnsContext, name: string): string[] {
  const v = ctx.flags[name];
  return Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : [];
}

export async function zoneInputs(ctx: DnsContext): Promise<ZoneInput[]> {
  const problems: Problem[] = [];
  const zones = [...new Set(listFlag(ctx, "zone").map(canonicalName))];
  const files = listFlag(ctx, "desired");
  const sets = listFlag(ctx, "set");
  const deletes = listFlag(ctx, "delete");
  const prune = ctx.flags.prune === true;
  const flag = (name: string, message: string) => problems.push({ message, source: { kind: "flag", name } });

  if (!zones.length) flag("--zone", "--zone is required: the zone to change, e.g. --zone example.com. (repeatable)");
  for (const z of zones) {
    const bad = z.includes("*") ? "a zone name has no wildcard" : nameError(z);
    if (bad) flag("--zone", `--zone ${z}: not a zone name (${bad}), e.g. example.com.`);
  }
  if (!files.length && !sets.length && !deletes.length) flag("--desired", "give the desired state: --desired FILE, or --set / --delete edits");
  if (files.length && (sets.length || deletes.length)) flag("--desired", "--desired cannot be combined with --set/--delete: put the edit in the file");
  if (prune && !files.length) flag("--prune", "--prune needs --desired: it deletes owned record sets the file omits");
  if (problems.length) throw usageError(problems);

  const byZone = new Map<string, ZoneInput>();
  if (files.length) {
    for (const file of files) {
      const path = resolve(ctx.deps.cwd, file);
      const shown = relative(ctx.deps.cwd, path) || file;
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (e) {
        flag("--desired", `cannot read desired-state file ${shown} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
        continue;
      }
      const parsed = await parseDesired(text, shown);
      if ("problems" in parsed) {
        problems.push(...parsed.problems);
        continue;
      }
      const zone = parsed.desired.zone ? canonicalName(parsed.desired.zone) : zones.length === 1 ? zones[0] : undefined;
      if (!zone) {
        problems.push({
          message: `${shown}: zone: missing; with several --zone, each file names its zone`,
          source: { kind: "file", name: shown, key: "zone" },
        });
        continue;
      }
      if (!zones.includes(zone)) {
        problems.push({ message: `${shown}: zone: ${zone} is not one of --zone ${zones.join(", ")}`, source: { kind: "file", name: shown, key: "zone" } });
        continue;
      }
      const prev = byZone.get(zone);
      const d = prev?.desired.kind === "file" ? prev.desired : { kind: "file" as const, files: [] as string[], entries: [] as DesiredEntry[], prune };
      d.files.push(shown);
      d.entries.push(...parsed.desired.entries);
      byZone.set(zone, { zone, desired: d });
    }
    for (const z of zones) if (!byZone.has(z) && !problems.length) flag("--zone", `--zone ${z} has no desired-state file (a file's zone: key names it)`);
  } else {
    const edits = new Map<string, { sets: DesiredEntry[]; deletes: DeleteEdit[] }>(zones.map((z) => [z, { sets: [], deletes: [] }]));
    const place = (name: string, source: string, flagName: string) => {
      const z = zoneFor(name, zones);
      if (!z)
        flag(
          flagName,
          `${source}: ${name} is in none of --zone ${zones.join(", ")}${zones.length > 1 ? " (with several zones, give absolute names ending in '.')" : ""}`,
        );
      return z;
    };
    for (const raw of sets) {
      const r = parseSet(raw);
      if ("problem" in r) problems.push(r.problem);
      else {
        const z = place(r.entry.name, r.entry.source, "--set");
        if (z) edits.get(z)?.sets.push(r.entry);
      }
    }
    for (const raw of deletes) {
      const r = parseDelete(raw);
      if ("problem" in r) problems.push(r.problem);
      else {
        const z = place(r.edit.name, r.edit.source, "--delete");
        if (z) edits.get(z)?.deletes.push(r.edit);
      }
    }
    for (const [zone, e] of edits) if (e.sets.length || e.deletes.length) byZone.set(zone, { zone, desired: { kind: "edits", ...e } });
  }
  if (problems.length) throw usageError(problems);
  return zones.filter((z) => byZone.has(z)).map((z) => byZone.get(z) as ZoneInput);
}

/** A relative name belongs to the only zone; an absolute one to the longest zone it ends in. */
function zoneFor(name: string, zones: string[]): string | undefined {
  if (!name.endsWith(".")) return zones.length === 1 ? zones[0] : undefined;
  const n = canonicalName(name);
  return zones.filter((z) => n === z || n.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0];
}
