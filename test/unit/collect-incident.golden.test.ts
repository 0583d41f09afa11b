import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// collect-incident's views with a frozen clock and the hosts collector alone (no remote:
// its files are fixtures). The bundle's own digest covers the manifest, which names the
// host it was collected on: it is the one value normalised away besides paths.

const LOG = [
  "2026-11-28T09:59:00Z before the window",
  "2026-11-28T10:30:00Z GET /checkout 500 upstream timeout",
  "2026-11-28T11:00:00Z retrying with Authorization: Bearer golden-token-123456",
  "  at Client.send (client.js:10)",
  "2026-11-28T12:30:00Z after the window",
  "",
].join("\n");

function repo(name: string) {
  const dir = tempRepo({ "app.log": LOG }, name);
  writeFileSync(join(dir, "opsctl.config.yaml"), `collectIncident:\n  include: [hosts]\n  hosts:\n    files: [{ path: ${dir}/app.log, filter: time }]\n`);
  return dir;
}

async function run(name: string, argv: string[], dir = repo(name)) {
  const env = { HOME: "/home/operator", USER: "operator", XDG_CONFIG_HOME: `${dir}/.xdg`, XDG_STATE_HOME: `${dir}/.state` };
  const r = await runInProcess(argv, { cwd: dir, env });
  const bundle = join(dir, "evidence.tar.gz");
  const digest: Record<string, string> = existsSync(bundle)
    ? { "sha256:<bundle>": `sha256:${createHash("sha256").update(readFileSync(bundle)).digest("hex")}` }
    : {};
  // Each bundle has its own pseudonym key, so redacted content (and every hash over it) differs per run.
  const norm = (t: string) =>
    normalise(t, { "<repo>": dir, "<repo-relative>": dir.slice(1), ...digest })
      .replace(/"durationMs": \d+/g, '"durationMs": 0')
      .replace(/(manifest sha256 |bundle )[0-9a-f]{64}/g, "$1<sha256>")
      .replace(/(bytes\s+|"bytes": ")\d+/g, "$1<n>");
  expectGolden(`${name}.stdout`, norm(r.stdout));
  expectGolden(`${name}.stderr`, norm(r.stderr));
  expectGolden(`${name}.exit`, `${r.code}\n`);
  return { ...r, dir };
}

const COLLECT = ["collect-incident", "--environment", "staging", "--since", "2h", "--bundle", "evidence.tar.gz"];

describe("collect-incident golden views", () => {
  for (const format of ["text", "json"]) {
    test(`dry run (${format})`, async () => {
      const r = await run(`collect-incident-dry-run.${format}`, [...COLLECT, "--dry-run", "--format", format]);
      expect(r.code).toBe(10);
    });
    test(`collected bundle (${format})`, async () => {
      const r = await run(`collect-incident-result.${format}`, [...COLLECT, "--format", format]);
      expect(r.code).toBe(0);
    });
    test(`verify (${format})`, async () => {
      const dir = repo(`collect-incident-verify.${format}`);
      await runInProcess(COLLECT, { cwd: dir, env: { HOME: dir, USER: "operator" } });
      const r = await run(`collect-incident-verify.${format}`, ["collect-incident", "--verify", "evidence.tar.gz", "--format", format], dir);
      expect(r.code).toBe(0);
    });
    test(`verify a tampered bundle (${format})`, async () => {
      const dir = repo(`collect-incident-tampered.${format}`);
      await runInProcess(COLLECT, { cwd: dir, env: { HOME: dir, USER: "operator" } });
      const tar = Buffer.from(gunzipSync(readFileSync(join(dir, "evidence.tar.gz"))));
      const at = tar.indexOf(Buffer.from("upstream timeout"));
      tar[at] = "U".charCodeAt(0);
      writeFileSync(join(dir, "evidence.tar.gz"), gzipSync(tar));
      const r = await run(`collect-incident-tampered.${format}`, ["collect-incident", "--verify", "evidence.tar.gz", "--format", format], dir);
      expect(r.code).toBe(3);
    });
    test(`bad window (${format})`, async () => {
      const r = await run(`collect-incident-bad-window.${format}`, [
        "collect-incident",
        "--environment",
        "staging",
        "--since",
        "1h",
        "--until",
        "2h",
        "--format",
        format,
      ]);
      expect(r.code).toBe(2);
    });
  }
  test("help", () => run("help-collect-incident", ["collect-incident", "--help"]));
});
