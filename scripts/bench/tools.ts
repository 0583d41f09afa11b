// What the benchmarks compare against, installed by the bench itself on a fresh machine:
// the AWS CLI and Cloud Custodian from PyPI in .bench/venv (apart from moto's packages),
// a bare `bun build --compile` hello-world (the floor), and a moto server of its own.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const BENCH = join(ROOT, ".bench");
const VENV = join(BENCH, "venv");

function sh(cmd: string[], what: string): string {
  const r = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: process.env });
  if (r.exitCode !== 0) throw new Error(`${what} failed (${cmd.join(" ")}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout.toString().trim();
}

export interface Tools {
  aws: string;
  custodian: string;
  hello: string;
  opsctl: string;
  versions: Record<string, string>;
}

export function prepareTools(log: (m: string) => void, port: number): Tools {
  mkdirSync(BENCH, { recursive: true });
  const aws = join(VENV, "bin", "aws");
  const custodian = join(VENV, "bin", "custodian");
  if (!existsSync(aws) || !existsSync(custodian)) {
    log("creating .bench/venv and installing awscli and c7n from PyPI (once)");
    if (!existsSync(join(VENV, "bin", "python"))) sh(["python3", "-m", "venv", VENV], "python3 -m venv");
    sh([join(VENV, "bin", "pip"), "install", "-q", "--disable-pip-version-check", "awscli", "c7n"], "pip install awscli c7n");
  }
  // BENCH_NO_BUILD=1 measures the dist/ binary as it is (e.g. a second bench beside a first).
  if (process.env.BENCH_NO_BUILD !== "1") {
    log("building opsctl for this host (release flags)");
    sh([process.execPath, join(ROOT, "scripts", "build.ts"), "--host"], "build");
  }
  const host = `${process.platform}-${process.arch}`;
  // A copy: a rebuild of dist/ while a long bench runs must not change the binary under test.
  const opsctl = join(BENCH, `opsctl-${host}-${port}`);
  copyFileSync(join(ROOT, "dist", `opsctl-${host}`), opsctl);

  // The floor: the same compile flags as opsctl's release build, on a one-line program.
  const helloSrc = join(BENCH, "hello.ts");
  const hello = join(BENCH, "hello");
  writeFileSync(helloSrc, 'console.log("hello");\n');
  sh(
    [process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm", "--splitting", helloSrc, "--outfile", hello],
    "bun build --compile hello",
  );
  const versions = {
    opsctl: sh([opsctl, "version"], "opsctl version").split("\n")[0] ?? "",
    bun: sh([process.execPath, "--version"], "bun --version"),
    aws: sh([aws, "--version"], "aws --version"),
    custodian: sh([custodian, "version"], "custodian version"),
    moto: sh(["python3", "-c", "import moto; print(moto.__version__)"], "moto version"),
  };
  return { aws, custodian, hello, opsctl, versions };
}

/** A moto server of the bench's own (not the test suite's), on a free port. */
export async function startMoto(port: number, ageFile: string, log: (m: string) => void): Promise<{ url: string; stop: () => void }> {
  sh(["bash", join(ROOT, "scripts", "peers.sh"), "install"], "peers.sh install (moto)");
  writeFileSync(ageFile, "0\n");
  const proc = Bun.spawn(["python3", join(import.meta.dir, "moto_fast.py"), "-H", "127.0.0.1", "-p", String(port)], {
    env: { ...process.env, BENCH_AGE_FILE: ageFile },
    stdout: Bun.file(join(BENCH, `moto-${port}.log`)),
    stderr: Bun.file(join(BENCH, `moto-${port}.err.log`)),
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/moto-api/reset`, { method: "POST" });
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`moto did not start on ${url} (see .bench/moto-${port}.err.log)`);
    await Bun.sleep(200);
  }
  log(`moto (bench copy) on ${url}, pid ${proc.pid}`);
  return { url, stop: () => proc.kill("SIGINT") };
}
