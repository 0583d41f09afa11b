import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess } from "./bin.ts";

// Reads an OCI image-layout tar the way a container engine does (index → manifest →
// config and layer, every digest checked), unpacks its layer into a root filesystem and
// runs the image's ENTRYPOINT there as its USER, with only its ENV, from its WORKDIR
// (unshare + chroot + a clean environment: no engine runs on this machine; crun 1.8
// refuses to start here: "cgroups in hybrid mode not supported").

export interface Unpacked {
  dir: string;
  rootfs: string;
  index: { manifests: { digest: string; platform: { architecture: string }; annotations: Record<string, string> }[] };
  manifest: { config: { digest: string; size: number }; layers: { digest: string; size: number; mediaType: string }[] };
  config: {
    architecture: string;
    os: string;
    config: { User: string; Entrypoint: string[]; Env: string[]; WorkingDir: string };
    rootfs: { diff_ids: string[] };
  };
  dockerManifest: { Config: string; RepoTags: string[]; Layers: string[] }[];
  layerFiles: string[];
}

// Debian's python3 (the test servers need it): an absolute path, since env -i clears PATH.
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export async function unpackImage(imageTar: string): Promise<Unpacked> {
  const dir = mkdtempSync(join(tmpdir(), "opsctl-image-"));
  const layout = join(dir, "layout");
  const rootfs = join(dir, "rootfs");
  mkdirSync(layout);
  mkdirSync(rootfs);
  await must(["tar", "xf", imageTar, "-C", layout]);
  const read = (p: string) => readFileSync(join(layout, p));
  const blob = (digest: string, size?: number) => {
    const b = read(`blobs/sha256/${digest.slice(7)}`);
    if (sha256(b) !== digest) throw new Error(`blob ${digest} does not match its digest`);
    if (size !== undefined && b.length !== size) throw new Error(`blob ${digest} is ${b.length} bytes, descriptor says ${size}`);
    return b;
  };
  if (JSON.parse(read("oci-layout").toString()).imageLayoutVersion !== "1.0.0") throw new Error("not an OCI image layout 1.0.0");
  const index = JSON.parse(read("index.json").toString());
  const m = index.manifests[0];
  const manifest = JSON.parse(blob(m.digest, m.size).toString());
  const config = JSON.parse(blob(manifest.config.digest, manifest.config.size).toString());
  const layer = manifest.layers[0];
  const layerGz = blob(layer.digest, layer.size);
  const layerPath = join(dir, "layer.tar.gz");
  await Bun.write(layerPath, layerGz);
  const unzipped = Bun.gunzipSync(layerGz);
  if (sha256(unzipped) !== config.rootfs.diff_ids[0]) throw new Error("layer diff_id does not match the uncompressed layer");
  await must(["tar", "xzf", layerPath, "-C", rootfs, "--numeric-owner"]);
  const list = await must(["tar", "tzf", layerPath]);
  return {
    dir,
    rootfs,
    index,
    manifest,
    config,
    dockerManifest: JSON.parse(read("manifest.json").toString()),
    layerFiles: list.split("\n").filter(Boolean).sort(),
  };
}

/**
 * Runs the image like `docker run [-w WORKDIR] [-e K=V]… IMAGE args…`: chroot into the
 * rootfs, chdir, drop to the image's USER, exec its ENTRYPOINT with its ENV plus `env`.
 * `emulator` (a static qemu-user, copied into the rootfs for the test only) runs
 * another architecture's image.
 */
export async function runImage(img: Unpacked, args: string[], o: { env?: Record<string, string>; workdir?: string; emulator?: string } = {}) {
  const [uid, gid] = img.config.config.User.split(":").map(Number) as [number, number];
  const env = Object.fromEntries(img.config.config.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  let argv = [...img.config.config.Entrypoint, ...args];
  if (o.emulator) {
    copyFileSync(o.emulator, join(img.rootfs, ".test-emulator"));
    argv = ["/.test-emulator", ...argv];
  }
  const py = [
    "import os, sys, json",
    "a = json.loads(sys.argv[1])",
    "os.chroot(a['root']); os.chdir(a['cwd'])",
    "os.setgroups([]); os.setgid(a['gid']); os.setuid(a['uid'])",
    "os.execve(a['argv'][0], a['argv'], a['env'])",
  ].join("\n");
  const spec = { root: img.rootfs, cwd: o.workdir ?? img.config.config.WorkingDir, uid, gid, argv, env: { ...env, ...o.env } };
  // A container runtime mounts /proc (Bun reads /proc/self/exe to find the program it
  // carries): unshare gives the run its own PID and mount namespace with a fresh /proc
  // that disappears with it.
  const unshare = ["/usr/bin/unshare", "--fork", "--pid", "--mount", `--mount-proc=${join(img.rootfs, "proc")}`];
  return runProcess(["/usr/bin/env", "-i", ...unshare, PYTHON, "-c", py, JSON.stringify(spec)], { cwd: "/", env: {}, timeoutMs: 55_000 });
}

async function must(cmd: string[]): Promise<string> {
  const r = await runProcess(cmd, { cwd: "/", env: {} });
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
