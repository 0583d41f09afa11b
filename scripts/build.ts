// Builds standalone binaries: `bun scripts/build.ts [--host] [--target linux-x64 …] [--outdir dist] [--archives]`.
// A build of all targets (no --host/--target), or --archives, also writes one archive per
// target (scripts/release/archive.ts); SHA256SUMS covers every file in the output folder.
// A team binary: `--commands DIR --name NAME [--group WORD]` adds every command folder under
// DIR to the built-in commands (generated static imports, see scripts/team-entry.ts) and
// writes dist/NAME-<target>. `--no-compile` only generates and checks the entry.
// Release flags (see shared FIELD-NOTES): --minify --bytecode --format=esm --splitting keep
// start-up fast with lazy SDK imports; NODE_ENV is fixed so a binary built inside
// `bun test` still behaves as production.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { releaseArchive } from "./release/archive.ts";
import { writeChecksums } from "./release/checksums.ts";
import { writeTeamEntry } from "./team-entry.ts";

export const TARGETS = ["linux-x64", "linux-arm64", "linux-x64-musl", "darwin-x64", "darwin-arm64", "windows-x64"] as const;

/**
 * A compiled Bun binary would otherwise read files from the directory it is started in:
 * `bunfig.toml` (whose `preload` runs code before opsctl's) and `.env` (which would
 * inject OPSCTL_* and AWS_* variables) are on by default; tsconfig.json and package.json
 * are off by default and pinned off here so a Bun upgrade cannot turn them on.
 * `bun build --help` lists no other autoload switch (Bun 1.4.5). The environment
 * variables BUN_BE_BUN and BUN_OPTIONS have no build switch: see README "Security".
 */
export const HERMETIC_FLAGS = [
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-tsconfig",
  "--no-compile-autoload-package-json",
] as const;

const root = join(import.meta.dir, "..");
const args = process.argv.slice(2);
const outdir = flagValue("--outdir") ?? join(root, "dist");
const host = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
const targets = args.includes("--host") ? [host] : args.includes("--target") ? args.filter((_, i) => args[i - 1] === "--target") : [...TARGETS];

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
const commit = (() => {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: root });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
})();

/** Per command folder, a digest of its source files: a saved plan is applied only by the same build of its command. */
function commandDigests(dirs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of dirs) {
    for (const name of readdirSync(dir).sort()) {
      const folder = join(dir, name);
      if (!statSync(folder).isDirectory()) continue;
      const h = createHash("sha256");
      for (const file of listFiles(folder))
        h.update(`${file.slice(folder.length)}\0`)
          .update(readFileSync(file))
          .update("\0");
      out[name] = `sha256:${h.digest("hex")}`;
    }
  }
  return out;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? listFiles(p) : [p];
    });
}

const teamDir = flagValue("--commands");
const name = flagValue("--name") ?? (teamDir ? undefined : "opsctl");
if (!name) fail("--commands needs --name NAME (the binary's name)");
let entry = join(root, "src/main.ts");
if (teamDir) {
  const dir = resolve(teamDir);
  try {
    entry = writeTeamEntry({ name, commandsDir: dir, group: flagValue("--group"), outDir: join(root, ".build", name), root }).main;
  } catch (e) {
    fail((e as Error).message);
  }
  // Load the generated registry once from source: a clash or a bad module fails the build, not the binary.
  const check = Bun.spawnSync([process.execPath, entry, "--help"], { cwd: root, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  if (check.exitCode !== 0) fail(`${name}: the team registry does not load:\n${check.stderr.toString().trim() || check.stdout.toString().trim()}`);
}
if (args.includes("--no-compile")) {
  // Generate and check the entry only (e.g. for `deno run -A .build/NAME/main.ts`).
  console.error(`${name}: entry ${entry} generated and checked`);
  process.exit(0);
}
const digests = commandDigests([join(root, "src", "commands"), ...(teamDir ? [resolve(teamDir)] : [])]);

// Release archives beside the raw binaries (~115 MB each): for a full build, or when asked.
const archives = (!args.includes("--host") && !args.includes("--target")) || args.includes("--archives");
mkdirSync(outdir, { recursive: true });
for (const target of targets) {
  const file = `${name}-${target}${target.startsWith("windows") ? ".exe" : ""}`;
  const outfile = join(outdir, file);
  const cmd = [
    process.execPath,
    "build",
    "--compile",
    `--target=bun-${target}`,
    "--minify",
    "--bytecode",
    "--format=esm",
    "--splitting",
    ...HERMETIC_FLAGS,
    "--define",
    `process.env.NODE_ENV="production"`,
    "--define",
    `__OPSCTL_VERSION__=${JSON.stringify(pkg.version)}`,
    "--define",
    `__OPSCTL_COMMIT__=${JSON.stringify(commit)}`,
    "--define",
    `__OPSCTL_TARGET__=${JSON.stringify(target)}`,
    "--define",
    `__OPSCTL_COMMAND_DIGESTS__=${JSON.stringify(digests)}`,
    entry,
    "--outfile",
    outfile,
  ];
  const started = performance.now();
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    console.error(`build ${target} failed:\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  const archive = archives
    ? releaseArchive({ target, binary: outfile, outdir, name, version: pkg.version, mtime: commitTime(), readme: join(root, "README.md") })
    : undefined;
  console.error(`built ${file}${archive ? ` and ${archive.split("/").pop()}` : ""} in ${Math.round(performance.now() - started)} ms`);
}
await writeChecksums(outdir);

/** The commit's time: archive entries carry it, so equal sources give equal archives. */
function commitTime(): Date {
  const r = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: root });
  const secs = Number(r.exitCode === 0 ? r.stdout.toString().trim() : 0);
  return new Date(secs * 1000 || Date.UTC(2026, 0, 1));
}

function fail(message: string): never {
  console.error(`build: ${message}`);
  process.exit(2);
}

function flagValue(flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}
