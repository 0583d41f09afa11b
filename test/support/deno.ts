import { join } from "node:path";
import { runProcess } from "./bin.ts";

const ROOT = join(import.meta.dir, "..", "..");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** `deno run -A src/main.ts …`: the source under Deno, for parity with the compiled binary. */
export const runDeno = (args: string[], o: { cwd: string; env: Record<string, string>; entry?: string }) =>
  runProcess([DENO, "run", "-A", "--quiet", o.entry ?? join(ROOT, "src", "main.ts"), ...args], { ...o, env: { ...o.env, DENO_NO_UPDATE_CHECK: "1" } });

/**
 * Fields that differ between two honest runs: wall-clock time and what derives from it,
 * and the command's source digest, which only a compiled build knows ("source" otherwise).
 */
export function stable<T extends { plan?: { createdAt?: string; digest?: string; producer?: { sourceDigest?: string } } | null }>(j: T): T {
  const copy = structuredClone(j);
  if (copy.plan) {
    copy.plan.createdAt = "<time>";
    copy.plan.digest = "<digest>";
    if (copy.plan.producer) copy.plan.producer.sourceDigest = "<source digest>";
  }
  return copy;
}
