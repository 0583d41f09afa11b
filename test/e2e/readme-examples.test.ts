import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { RotateWorld } from "../support/rotate-env.ts";

// Every opsctl command line in a README code block runs, as written, against real
// servers, with the exit code the README gives for it: `# exit N` after the line, or an
// `(exit N)` line after its output. A new example without an expected exit code fails
// here, so the README cannot promise what the binary does not do.

const README = readFileSync(join(import.meta.dir, "..", "..", "README.md"), "utf8");

export interface Example {
  line: number;
  argv: string[];
  exit: number | undefined;
}

/** Command lines starting with `opsctl` (or `$ opsctl`) inside fenced code blocks. */
export function readmeExamples(text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split("\n");
  let fenced = false;
  lines.forEach((raw, i) => {
    if (raw.startsWith("```")) {
      fenced = !fenced;
      return;
    }
    if (!fenced) return;
    const m = /^(?:\$ )?(opsctl(?: [^#]*)?)(?:#\s*(.*))?$/.exec(raw.trim());
    if (!m) return;
    const comment = /^exit (\d+)\b/.exec(m[2] ?? "");
    let exit = comment ? Number(comment[1]) : undefined;
    if (exit === undefined && raw.startsWith("$ ")) {
      // The worked example: output follows, then "(exit N)" before the next prompt.
      for (let j = i + 1; j < lines.length && !lines[j]?.startsWith("$ ") && !lines[j]?.startsWith("```"); j++) {
        const e = /^\(exit (\d+)\)$/.exec(lines[j] ?? "");
        if (e) exit = Number(e[1]);
      }
    }
    out.push({ line: i + 1, argv: (m[1] as string).trim().split(/\s+/).slice(1), exit });
  });
  return out;
}

const examples = readmeExamples(README);
const world = new RotateWorld();
let ws: { dir: string; env: Record<string, string> };

beforeAll(async () => {
  // One estate for every example: the worked example's volumes, the rotate-cert world
  // for service api in prod (an ACM certificate and a host pair expiring in 10 days).
  await world.reset();
  const m = world.moto;
  for (const [ageDays, tags] of [
    [92, { Environment: "staging", Name: "ci-cache-old" }],
    [61, { Environment: "staging", Name: "migration-scratch" }],
    [40, { Environment: "staging" }],
    [4, { Environment: "staging", Name: "fresh" }],
    [120, { Environment: "staging", Name: "audit-evidence", "opsctl:protect": "true" }],
    [200, { Environment: "prod", Name: "prod-db-old" }],
  ] as const) {
    await m.volume({ ageDays, tags: { ...tags } });
  }
  await world.acmCert(10);
  world.hostCert(10);
  ws = world.workspace();
  const config = join(ws.dir, "opsctl.config.yaml");
  writeFileSync(config, `${readFileSync(config, "utf8")}guardrails:\n  maxDeletions: 10\n`);
  // dns-change: a PowerDNS zone example.com. with a record the file changes and one --prune removes.
  const pdns = world.pdns;
  await pdns.zone("example.com.");
  await pdns.put("example.com.", [
    { name: "www.example.com.", type: "A", ttl: 300, values: ["192.0.2.1"] },
    { name: "www.example.com.", type: "TXT", ttl: 300, values: ['"old"'] },
  ]);
  mkdirSync(join(ws.dir, "dns"), { recursive: true });
  writeFileSync(join(ws.dir, "dns", "example.com.yaml"), "records:\n  - { name: www, type: A, ttl: 300, values: [192.0.2.10, 192.0.2.11] }\n");
  writeFileSync(
    config,
    `${readFileSync(config, "utf8")}dns:\n  verifyTimeout: 20s\n  powerdns: { apiUrl: "${pdns.url}", apiKey: "env:PDNS_KEY", nameservers: ["${pdns.dnsServer}"] }\n`,
  );
});

describe("README examples run as written", () => {
  test("the README has examples, and every one names its expected exit code", () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(examples.filter((e) => e.exit === undefined).map((e) => `README.md:${e.line}`)).toEqual([]);
  });

  // In README order: the worked example's apply needs the plan its dry run saved.
  for (const ex of examples) {
    test(`README.md:${ex.line}: opsctl ${ex.argv.join(" ")} → exit ${ex.exit}`, async () => {
      const r = await runBin(ex.argv, { cwd: ws.dir, env: ws.env, timeoutMs: 55_000 });
      if (r.code !== ex.exit) console.error(r.stderr);
      expect(r.code).toBe(ex.exit as number);
      expect(r.stdout.length).toBeGreaterThan(0);
    });
  }
});
