import { createHash } from "node:crypto";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { peers } from "./peers.ts";

// Backup layouts in moto's S3: objects with or without a stored SHA-256, a manifest
// listing what they should hash to, and a copy that was cut short on upload.

export function s3Client(): S3Client {
  return new S3Client({
    endpoint: peers().MOTO_URL,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    // Without this the SDK stores a CRC32 on every upload: tests choose what is stored.
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
}

export const sha256hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

export async function bucket(name: string): Promise<void> {
  await s3Client().send(new CreateBucketCommand({ Bucket: name }));
}

export async function put(bucketName: string, key: string, body: Uint8Array | string, storeSha256 = true): Promise<void> {
  await s3Client().send(new PutObjectCommand({ Bucket: bucketName, Key: key, Body: body, ...(storeSha256 ? { ChecksumAlgorithm: "SHA256" } : {}) }));
}

/** Uploads files under a prefix with a manifest.json of their full contents; `truncate` uploads that one cut in half. */
export async function backupSet(
  bucketName: string,
  prefix: string,
  files: Record<string, string>,
  o: { truncate?: string; storeSha256?: boolean; manifest?: "json" | "sums" | "none" } = {},
) {
  const entries = Object.entries(files).map(([name, body]) => ({ key: name, sha256: sha256hex(body), size: Buffer.byteLength(body) }));
  for (const [name, body] of Object.entries(files)) {
    const data = name === o.truncate ? body.slice(0, Math.floor(body.length / 2)) : body;
    await put(bucketName, prefix + name, data, o.storeSha256 ?? true);
  }
  if ((o.manifest ?? "json") === "json") await put(bucketName, `${prefix}manifest.json`, JSON.stringify({ files: entries }));
  if (o.manifest === "sums") await put(bucketName, `${prefix}SHA256SUMS`, entries.map((e) => `${e.sha256}  ${e.key}\n`).join(""));
}
