// An OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
// written as one tar: oci-layout, index.json, blobs/sha256/<config|manifest|layer>, plus
// Docker's manifest.json so `docker load` (also before Docker 25) and `podman load` both
// read it. One image per architecture; every digest is computed here.
import { createHash } from "node:crypto";
import { type ArchiveEntry, tar, tarGz } from "./archive.ts";

export interface ImageSpec {
  /** OCI architecture: amd64 or arm64. */
  arch: "amd64" | "arm64";
  /** The one layer's files. */
  files: ArchiveEntry[];
  config: { User: string; Entrypoint: string[]; Env: string[]; WorkingDir: string; Labels: Record<string, string> };
  /** Repository:tag for the loaded image, e.g. opsctl:0.1.0. */
  ref: string;
  created: Date;
}

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export function ociImageTar(spec: ImageSpec): Uint8Array {
  const layerTar = tar(spec.files, spec.created);
  const layer = tarGz(spec.files, spec.created);
  const config = json({
    created: spec.created.toISOString(),
    architecture: spec.arch,
    ...(spec.arch === "arm64" ? { variant: "v8" } : {}),
    os: "linux",
    config: spec.config,
    rootfs: { type: "layers", diff_ids: [sha(layerTar)] },
    history: [{ created: spec.created.toISOString(), created_by: "npm run build:image (scripts/build-image.ts)" }],
  });
  const manifest = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(layer), size: layer.length }],
    annotations: { "org.opencontainers.image.created": spec.created.toISOString() },
  });
  const [repo, tag] = spec.ref.split(":") as [string, string];
  const index = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: sha(manifest),
        size: manifest.length,
        platform: { architecture: spec.arch, os: "linux", ...(spec.arch === "arm64" ? { variant: "v8" } : {}) },
        annotations: { "org.opencontainers.image.ref.name": tag, "io.containerd.image.name": `docker.io/library/${repo}:${tag}` },
      },
    ],
  });
  const blob = (b: Uint8Array) => `blobs/sha256/${sha(b).slice(7)}`;
  const dockerManifest = json([{ Config: blob(config), RepoTags: [spec.ref], Layers: [blob(layer)] }]);
  const file = (name: string, data: Uint8Array): ArchiveEntry => ({ name, data, mode: 0o644 });
  return tar(
    [
      file("oci-layout", json({ imageLayoutVersion: "1.0.0" })),
      file("index.json", index),
      file("manifest.json", dockerManifest),
      { name: "blobs/", data: new Uint8Array(), mode: 0o755 },
      { name: "blobs/sha256/", data: new Uint8Array(), mode: 0o755 },
      file(blob(config), config),
      file(blob(manifest), manifest),
      file(blob(layer), layer),
    ],
    spec.created,
  );
}

function json(x: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(x)));
}
