import pkg from "../package.json" with { type: "json" };
import type { BuildInfo } from "./core/deps.ts";

// Release builds replace these identifiers with --define (scripts/build.ts);
// source runs (bun run, deno run) fall back to package.json and "source".
declare const __OPSCTL_VERSION__: string | undefined;
declare const __OPSCTL_COMMIT__: string | undefined;
declare const __OPSCTL_TARGET__: string | undefined;

export const BUILD: BuildInfo = {
  version: typeof __OPSCTL_VERSION__ === "string" ? __OPSCTL_VERSION__ : pkg.version,
  commit: typeof __OPSCTL_COMMIT__ === "string" ? __OPSCTL_COMMIT__ : "unknown",
  target: typeof __OPSCTL_TARGET__ === "string" ? __OPSCTL_TARGET__ : "source",
};

export function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${process.version}`;
}
