import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { runProcess } from "../support/bin.ts";
import { Moto, TEST_CREDS } from "../support/moto.ts";
import { runImage, type Unpacked, unpackImage } from "../support/oci.ts";
import { QEMU_AARCH64 } from "../support/shipped.ts";

// `npm run build:image` (here with --no-build: the suite built dist/opsctl-linux-x64 and
// -arm64 already) writes one OCI image tar per architecture. Each is read like an engine
// reads it, checked to hold nothing but the binary, its libraries, CA certificates and
// a non-root user, and run (chroot, clean environment, its USER/ENV/ENTRYPOINT) against moto.

const ROOT = join(import.meta.dir, "..", "..");
const DIST = join(ROOT, "dist");
const moto = new Moto();
const images: Record<string, Unpacked> = {};

beforeAll(async () => {
  const r = await runProcess([process.execPath, join(ROOT, "scripts", "build-image.ts"), "--no-build"], {
    cwd: ROOT,
    env: { HOME: process.env.HOME ?? "/root" },
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`build:image failed: ${r.stderr}`);
  for (const arch of ["amd64", "arm64"]) images[arch] = await unpackImage(join(DIST, `opsctl-${pkg.version}-image-${arch}.tar`));
}, 180_000);

/** A working directory mounted into the container (like -v $PWD:/work -w /work). */
function mountWork(img: Unpacked): void {
  const work = join(img.rootfs, "work");
  mkdirSync(work, { recursive: true });
  mkdirSync(join(work, ".git"), { recursive: true });
  writeFileSync(join(work, "opsctl.config.yaml"), `region: us-east-1\naws:\n  endpoint: ${moto.url}\n  maxAttempts: 2\n`);
  // The container's user writes the plan file here.
  return void runProcess(["chown", "-R", "65532:65532", work], { cwd: "/", env: {} });
}

describe.each([
  ["amd64", "x86_64-linux-gnu", "/lib64/ld-linux-x86-64.so.2", undefined],
  ["arm64", "aarch64-linux-gnu", "/lib/ld-linux-aarch64.so.1", QEMU_AARCH64],
] as const)("OCI image %s", (arch, triplet, interpreter, emulator) => {
  test("a valid OCI layout, loadable by docker and podman: digests, platform, non-root user, entrypoint", () => {
    const img = images[arch] as Unpacked;
    expect(img.index.manifests).toHaveLength(1);
    expect(img.index.manifests[0]?.platform.architecture).toBe(arch);
    expect(img.index.manifests[0]?.annotations["org.opencontainers.image.ref.name"]).toBe(pkg.version);
    expect(img.config).toMatchObject({ architecture: arch, os: "linux" });
    expect(img.config.config).toMatchObject({ User: "65532:65532", Entrypoint: ["/usr/local/bin/opsctl"], WorkingDir: "/home/opsctl" });
    expect(img.dockerManifest).toEqual([
      {
        Config: `blobs/sha256/${img.manifest.config.digest.slice(7)}`,
        RepoTags: [`opsctl:${pkg.version}`],
        Layers: [`blobs/sha256/${img.manifest.layers[0]?.digest.slice(7)}`],
      },
    ]);
  });

  test("holds only the binary, the libraries it links, CA certificates and the user: no shell, no Node", () => {
    const img = images[arch] as Unpacked;
    const files = img.layerFiles.filter((f) => !f.endsWith("/"));
    expect(files).toEqual(
      [
        "etc/group",
        "etc/nsswitch.conf",
        "etc/passwd",
        "etc/ssl/certs/ca-certificates.crt",
        interpreter.slice(1),
        ...["ld-linux", "libc.so.6", "libdl.so.2", "libm.so.6", "libpthread.so.0"].map((l) =>
          l === "ld-linux" ? `lib/${triplet}/${interpreter.split("/").pop()}` : `lib/${triplet}/${l}`,
        ),
        "usr/local/bin/opsctl",
      ].sort(),
    );
    expect(readFileSync(join(img.rootfs, "etc/passwd"), "utf8")).toContain("opsctl:x:65532:65532:opsctl:/home/opsctl:/sbin/nologin");
  });

  test("runs as its non-root user: --version, version --format json", async () => {
    const img = images[arch] as Unpacked;
    const v = await runImage(img, ["--version"], { emulator });
    expect(v).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    const j = await runImage(img, ["version", "--format", "json"], { emulator });
    expect(j.code).toBe(0);
    expect(j.json.result.target).toBe(arch === "amd64" ? "linux-x64" : "linux-arm64");
  }, 120_000);

  test("against moto: a dry run saved to a plan (10), applied (0), recorded in history", async () => {
    const img = images[arch] as Unpacked;
    await moto.reset();
    await moto.volume({ name: "old", ageDays: 90, tags: { Environment: "staging" } });
    mountWork(img);
    const o = { emulator, workdir: "/work", env: { ...TEST_CREDS, AWS_EC2_METADATA_DISABLED: "true" } };
    const dry = await runImage(img, ["cleanup-volumes", "--environment", "staging", "--dry-run", "--out", "plan.json"], o);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(10);
    const apply = await runImage(img, ["apply", "plan.json", "--format", "json"], o);
    expect(apply.code).toBe(0);
    expect(apply.json.summary).toMatchObject({ planned: 1, applied: 1 });
    expect(await moto.volumeIds()).toEqual([]);
    const history = await runImage(img, ["history", "--format", "json"], o);
    expect(history.code).toBe(0);
    expect(history.stdout).toContain("cleanup-volumes");
    // The audit names who applied: the image's non-root user, not root.
    expect(history.json.result.records[0].user).toBe("uid 65532");
  }, 240_000);
});
