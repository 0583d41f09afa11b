import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

// --help, --version and exit-codes must never load an SDK or the config loader: every
// heavy package is reached only through import(). This walks the static import graph
// from src/main.ts (type-only imports excluded) and lists the packages it reaches.

const HEAVY = [
  /^@aws-sdk\//,
  /^c12$/,
  /^postgres$/,
  /^consola$/,
  /^acme-client$/,
  /^@valibot\/to-json-schema$/,
  /^@kubernetes\//,
  /^confbox/,
  /^jiti/,
  /^yaml$/,
];
const STATIC = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']/gm;

function staticPackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(STATIC)) {
      const spec = m[1] as string;
      if (spec.startsWith(".")) {
        if (spec.endsWith(".ts")) visit(resolve(dirname(file), spec));
      } else if (!spec.startsWith("node:")) packages.add(spec);
    }
  };
  visit(entry);
  return packages;
}

test("the start-up path imports no heavy package statically", () => {
  const packages = [...staticPackages(join(import.meta.dir, "..", "..", "src", "main.ts"))];
  expect(packages.filter((p) => HEAVY.some((h) => h.test(p)))).toEqual([]);
  expect(packages.sort()).toEqual(["citty", "valibot"]);
});
