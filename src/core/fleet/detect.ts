import type { Flags } from "../command.ts";

/** The flags that select targets instead of one --region/--account scope. */
export const SELECTION_FLAGS = ["targets", "target", "target-tag"] as const;

/** A run over many scopes: any target selection flag was given. */
export function isFleetRun(flags: Flags): boolean {
  return SELECTION_FLAGS.some((f) => flags[f] !== undefined);
}
