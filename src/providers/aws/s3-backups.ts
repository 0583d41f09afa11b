import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { awsErrorInfo } from "./errors.ts";
import { type AwsClientOptions, awsClient } from "./options.ts";

// Backup objects in S3, read-only except for downloading a dump to a local scratch file.
// Integrity uses the checksum S3 stored at upload (HeadObject with ChecksumMode=ENABLED,
// which returns it without reading the data); where none is stored, or it is not SHA-256,
// the object is read in full and hashed.

export interface S3Object {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

export interface StoredChecksum {
  algorithm: "SHA256" | "SHA1" | "CRC32" | "CRC32C" | "CRC64NVME";
  /** As S3 returns it: base64, with a "-N" part count for multipart composites. */
  value: string;
  /** FULL_OBJECT or COMPOSITE (multipart uploads); unknown when the endpoint does not say. */
  type: string;
}

export interface ObjectHead extends S3Object {
  checksum?: StoredChecksum;
}

export interface S3BackupsPort {
  list(bucket: string, prefix: string): Promise<S3Object[]>;
  head(bucket: string, key: string): Promise<ObjectHead | undefined>;
  /** Reads the whole object: SHA-256 (hex) and the byte count actually received. */
  sha256(bucket: string, key: string, signal?: AbortSignal): Promise<{ hex: string; bytes: number }>;
  readRange(bucket: string, key: string, bytes: number): Promise<Uint8Array>;
  readText(bucket: string, key: string, maxBytes: number): Promise<string>;
  /** Streams the object to a local file (a dump to restore), hashing it on the way. */
  download(bucket: string, key: string, path: string, signal?: AbortSignal): Promise<{ hex: string; bytes: number }>;
}

const ALGORITHMS = ["SHA256", "SHA1", "CRC32", "CRC32C", "CRC64NVME"] as const;

export async function createS3Backups(opts: AwsClientOptions): Promise<S3BackupsPort> {
  const sdk = await import("@aws-sdk/client-s3");
  // Path style: bucket names with dots, and S3-compatible endpoints (moto, MinIO).
  const s3 = awsClient(sdk.S3Client, "s3", opts, { forcePathStyle: true, responseChecksumValidation: "WHEN_REQUIRED" });

  const body = async (bucket: string, key: string, signal?: AbortSignal, range?: string) => {
    const r = await s3.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}) }), signal ? { abortSignal: signal } : {});
    return r.Body as unknown as AsyncIterable<Uint8Array> & { transformToByteArray(): Promise<Uint8Array>; transformToString(): Promise<string> };
  };

  const port: S3BackupsPort = {
    async list(bucket, prefix) {
      const out: S3Object[] = [];
      for await (const page of sdk.paginateListObjectsV2({ client: s3, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix })) {
        for (const o of page.Contents ?? []) {
          out.push({ key: o.Key ?? "", size: Number(o.Size ?? 0), lastModified: o.LastModified ?? new Date(0), etag: unquote(o.ETag) });
        }
      }
      return out;
    },
    async head(bucket, key) {
      try {
        const h = await s3.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
        const rec = h as unknown as Record<string, string | undefined>;
        const algorithm = ALGORITHMS.find((a) => rec[`Checksum${a}`]);
        return {
          key,
          size: Number(h.ContentLength ?? 0),
          lastModified: h.LastModified ?? new Date(0),
          etag: unquote(h.ETag),
          ...(algorithm ? { checksum: { algorithm, value: rec[`Checksum${algorithm}`] as string, type: String(h.ChecksumType ?? "unknown") } } : {}),
        };
      } catch (e) {
        const info = awsErrorInfo(e);
        if (info.status === 404 || info.code === "NotFound" || info.code === "NoSuchKey") return undefined;
        throw e;
      }
    },
    async sha256(bucket, key, signal) {
      const hash = createHash("sha256");
      let bytes = 0;
      for await (const chunk of await body(bucket, key, signal)) {
        hash.update(chunk);
        bytes += chunk.length;
      }
      return { hex: hash.digest("hex"), bytes };
    },
    async readRange(bucket, key, bytes) {
      return (await body(bucket, key, undefined, `bytes=0-${bytes - 1}`)).transformToByteArray();
    },
    async readText(bucket, key, maxBytes) {
      const head = await port.head(bucket, key);
      if (head && head.size > maxBytes) throw new Error(`s3://${bucket}/${key} is ${head.size} bytes, more than the ${maxBytes} read as a manifest`);
      return (await body(bucket, key)).transformToString();
    },
    async download(bucket, key, path, signal) {
      const hash = createHash("sha256");
      let bytes = 0;
      const file = createWriteStream(path, { mode: 0o600 });
      try {
        for await (const chunk of await body(bucket, key, signal)) {
          hash.update(chunk);
          bytes += chunk.length;
          if (!file.write(chunk)) await new Promise<void>((r) => file.once("drain", () => r()));
        }
      } finally {
        await new Promise<void>((r) => file.end(() => r()));
      }
      return { hex: hash.digest("hex"), bytes };
    },
  };
  return port;
}

function unquote(etag: string | undefined): string {
  return (etag ?? "").replaceAll('"', "");
}

/** S3's base64 checksum → hex, to compare with a manifest's sha256 (undefined for composites). */
export function checksumHex(c: StoredChecksum): string | undefined {
  if (c.value.includes("-") || c.type === "COMPOSITE") return undefined;
  return Buffer.from(c.value, "base64").toString("hex");
}
