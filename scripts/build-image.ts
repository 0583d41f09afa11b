// `npm run build:image`: an OCI image (a tar in OCI layout, loadable with `docker load`
// and `podman load`) per architecture, holding only the opsctl binary, the shared
// libraries it links (found by reading its ELF headers), CA certificates, a non-root
// user and an ENTRYPOINT: no shell, no Node, no package manager.
//
//   bun scripts/build-image.ts [--arch amd64|arm64]... [--outdir dist] [--no-build]
//
// amd64 takes glibc from this (Debian x86_64) machine; arm64 from Debian's
// libc6-arm64-cross (scripts/peers.sh install installs it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ArchiveEntry } from "./release/archive.ts";
import { writeChecksums } from "./release/checksums.ts";
import { elfDeps } from "./release/elf.ts";
import { ociImageTar } from "./release/oci.ts";

export const UID = 65532;
const ARCHES = {
  amd64: { target: "linux-x64", triplet: "x86_64-linux-gnu", machine: "x86_64", libDirs: ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"] },
  arm64: {
    target: "linux-arm64",
    triplet: "aarch64-linux-gnu",
    machine: "aarch64",
    libDirs: ["/usr/aarch64-linux-gnu/lib", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"],
  },
} as const;
type Arch = keyof typeof ARCHES;
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const root = join(import.meta.dir, "..");

/** The binary's interpreter and every library it needs, transitively, from the arch's library dirs. */
export function runtimeFiles(binary: string, arch: Arch): { path: string; from: string }[] {
  const a = ARCHES[arch];
  const top = elfDeps(binary);
  if (top.machine !== a.machine) throw new Error(`${binary} is ${top.machine}, not ${a.machine}`);
  if (!top.interpreter) throw new Error(`${binary} has no program interpreter (static binaries need no libraries)`);
  const find = (name: string) => {
    const dir = a.libDirs.find((d) => existsSync(join(d, name)));
    if (!dir) throw new Error(`${name} (needed by ${binary}) not found in ${a.libDirs.join(", ")}; run 'bash scripts/peers.sh install'`);
    return join(dir, name);
  };
  const interpName = top.interpreter.split("/").pop() as string;
  const out = new Map<string, string>([[top.interpreter, find(interpName)]]);
  const queue = [...top.needed];
  while (queue.length) {
    const name = queue.shift() as string;
    const dest = `/lib/${a.triplet}/${name}`;
    if (out.has(dest)) continue;
    const from = find(name);
    out.set(dest, from);
    queue.push(...elfDeps(from).needed);
  }
  return [...out].map(([path, from]) => ({ path, from }));
}

export function imageFiles(binary: string, arch: Arch): ArchiveEntry[] {
  const dir = (name: string, mode = 0o755, uid = 0): ArchiveEntry => ({ name: `${name}/`, data: new Uint8Array(), mode, uid, gid: uid });
  const text = (name: string, content: string): ArchiveEntry => ({ name, data: new Uint8Array(Buffer.from(content)), mode: 0o644 });
  if (!existsSync(CA_BUNDLE)) throw new Error(`${CA_BUNDLE} is missing: install Debian's ca-certificates`);
  const libs = runtimeFiles(binary, arch);
  const dirs = new Set(["etc", "etc/ssl", "etc/ssl/certs", "home", "usr", "usr/local", "usr/local/bin"]);
  for (const l of libs) {
    const parts = l.path.slice(1).split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [
    ...[...dirs].sort().map((d) => dir(d)),
    dir("home/opsctl", 0o755, UID),
    dir("tmp", 0o1777),
    // Mount points the runtime fills (Bun reads /proc/self/exe to find its program).
    dir("proc", 0o555),
    dir("dev"),
    dir("sys", 0o555),
    text("etc/passwd", `root:x:0:0:root:/root:/sbin/nologin\nopsctl:x:${UID}:${UID}:opsctl:/home/opsctl:/sbin/nologin\n`),
    text("etc/group", `root:x:0:\nopsctl:x:${UID}:\n`),
    text("etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n"),
    { name: CA_BUNDLE.slice(1), data: readFileSync(CA_BUNDLE), mode: 0o644 },
    ...libs.map((l) => ({ name: l.path.slice(1), data: readFileSync(l.from), mode: 0o755 })),
    { name: "usr/local/bin/opsctl", data: readFileSync(binary), mode: 0o755 },
  ];
}

export function imagePath(outdir: string, version: string, arch: Arch): string {
  return join(outdir, `opsctl-${version}-image-${arch}.tar`);
}

async function main(args: string[]): Promise<void> {
  const outdir = args[args.indexOf("--outdir") + 1] && args.includes("--outdir") ? (args[args.indexOf("--outdir") + 1] as string) : join(root, "dist");
  const arches = (args.includes("--arch") ? args.filter((_, i) => args[i - 1] === "--arch") : Object.keys(ARCHES)) as Arch[];
  for (const a of arches) if (!(a in ARCHES)) throw new Error(`--arch must be amd64 or arm64, got '${a}'`);
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const secs = Number(Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: root }).stdout.toString().trim());
  const created = new Date(secs * 1000 || Date.UTC(2026, 0, 1));
  mkdirSync(outdir, { recursive: true });
  for (const arch of arches) {
    const target = ARCHES[arch].target;
    const binary = join(outdir, `opsctl-${target}`);
    if (!args.includes("--no-build")) {
      // The release build itself (hermetic flags, version defines), as `npm run build` runs it.
      const r = Bun.spawnSync([process.execPath, join(root, "scripts", "build.ts"), "--target", target, "--outdir", outdir], {
        cwd: root,
        stdout: "inherit",
        stderr: "inherit",
      });
      if (r.exitCode !== 0) throw new Error(`building ${target} failed`);
    } else if (!existsSync(binary)) {
      throw new Error(`${binary} is missing (--no-build uses what is there): run 'bun scripts/build.ts --target ${target}'`);
    }
    const out = imagePath(outdir, version, arch);
    writeFileSync(
      out,
      ociImageTar({
        arch,
        files: imageFiles(binary, arch),
        ref: `opsctl:${version}`,
        created,
        config: {
          User: `${UID}:${UID}`,
          Entrypoint: ["/usr/local/bin/opsctl"],
          Env: ["PATH=/usr/local/bin", "HOME=/home/opsctl", `SSL_CERT_FILE=${CA_BUNDLE}`],
          WorkingDir: "/home/opsctl",
          Labels: { "org.opencontainers.image.title": "opsctl", "org.opencontainers.image.version": version },
        },
      }),
    );
    console.error(`wrote ${out}`);
  }
  await writeChecksums(outdir);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
