import type { Precondition } from "./plan.ts";

/** Live attribute values by the names preconditions use (`state`, `attachments`, `tags.Foo`). */
export type LiveState = Record<string, unknown>;

/** The preconditions that no longer hold, each described with what changed. */
export function unmetPreconditions(preconditions: Precondition[], live: LiveState): string[] {
  const out: string[] = [];
  for (const p of preconditions) {
    const actual = live[p.attribute];
    let ok: boolean;
    switch (p.test) {
      case "equals":
        ok = JSON.stringify(actual) === JSON.stringify(p.expected);
        break;
      case "empty":
        ok = actual === undefined || actual === null || (Array.isArray(actual) && actual.length === 0) || actual === "";
        break;
      case "absent-or-not-equal":
        ok = actual === undefined || JSON.stringify(actual) !== JSON.stringify(p.expected);
        break;
    }
    if (!ok) out.push(`${p.description} (${p.attribute} is now ${JSON.stringify(actual ?? null)})`);
  }
  return out;
}
