// Builds standalone binaries: `bun scripts/build.ts [--host] [--target linux-x64 …] [--outdir dist]`.
// Release flags (see shared FIELD-NOTES): --minify --bytecode --format=esm --splitting keep
// start-up fast with lazy SDK imports; NODE_ENV is fixed so a binary built inside
// `bun test` still behaves as production.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TARGETS = ["linux-x64", "linux-arm64", "linux-x64-musl", "darwin-x64", "darwin-arm64", "windows-x64"] as const;

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

const digests = commandDigests([join(root, "src", "commands")]);

mkdirSync(outdir, { recursive: true });
const sums: string[] = [];
for (const target of targets) {
  const file = `opsctl-${target}${target.startsWith("windows") ? ".exe" : ""}`;
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
    join(root, "src/main.ts"),
    "--outfile",
    outfile,
  ];
  const started = performance.now();
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    console.error(`build ${target} failed:\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  const digest = createHash("sha256").update(readFileSync(outfile)).digest("hex");
  sums.push(`${digest}  ${file}`);
  console.error(`built ${file} in ${Math.round(performance.now() - started)} ms`);
}
writeFileSync(join(outdir, "SHA256SUMS"), `${sums.join("\n")}\n`);

function flagValue(flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}
