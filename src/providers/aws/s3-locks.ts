import { hostname } from "node:os";
import { OpsError } from "../../core/errors.ts";
import { heldMessage, type Lease, type LockBackend, type LockHolder, lockResource, sleep } from "../../core/lock/types.ts";
import { awsErrorInfo } from "./errors.ts";
import { type AwsClientOptions, awsClient } from "./options.ts";

const POLL_MS = 500;

interface LockObject extends LockHolder {
  expiresAt: string;
}

/**
 * Locks as S3 objects written with a conditional put (If-None-Match: *): exactly one
 * writer creates the object. Each lock carries a lease that the holder renews while it
 * runs; an expired lease is taken over with a conditional delete (If-Match on its ETag).
 */
export async function createS3Locks(opts: AwsClientOptions, bucket: string, prefix: string, leaseMs: number, now: () => Date): Promise<LockBackend> {
  const sdk = await import("@aws-sdk/client-s3");
  const s3 = awsClient(sdk.S3Client, "s3", opts, { forcePathStyle: true });
  const keyOf = (id: string) => `${prefix}locks/${encodeURIComponent(id)}.json`;

  const read = async (id: string): Promise<{ lock: LockObject; etag: string } | undefined> => {
    try {
      const r = await s3.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: keyOf(id) }));
      return { lock: JSON.parse((await r.Body?.transformToString()) ?? "{}") as LockObject, etag: r.ETag ?? "" };
    } catch (e) {
      if (awsErrorInfo(e).code === "NoSuchKey" || awsErrorInfo(e).status === 404) return undefined;
      throw e;
    }
  };
  const body = (h: LockHolder) => JSON.stringify({ ...h, expiresAt: new Date(now().getTime() + leaseMs).toISOString() });
  const isPreconditionFailed = (e: unknown) => awsErrorInfo(e).status === 412 || awsErrorInfo(e).code === "PreconditionFailed";

  return {
    name: "s3",
    async acquire(holder, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const put = await s3.send(
            new sdk.PutObjectCommand({ Bucket: bucket, Key: keyOf(holder.id), Body: body(holder), IfNoneMatch: "*", ContentType: "application/json" }),
          );
          let etag = put.ETag ?? "";
          // Renew the lease while the apply runs; a renewal that fails means someone took the lock.
          const timer = setInterval(
            async () => {
              try {
                const r = await s3.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: keyOf(holder.id), Body: body(holder), IfMatch: etag }));
                etag = r.ETag ?? etag;
              } catch {
                // The next renewal or the release reports nothing more: the run already holds its result.
              }
            },
            Math.max(1000, leaseMs / 3),
          );
          (timer as { unref?: () => void }).unref?.();
          const lease: Lease = {
            async release() {
              clearInterval(timer);
              try {
                await s3.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: keyOf(holder.id), IfMatch: etag }));
              } catch (e) {
                if (!isPreconditionFailed(e)) throw e;
              }
            },
          };
          return lease;
        } catch (e) {
          if (!isPreconditionFailed(e)) throw e;
        }
        const current = await read(holder.id);
        if (current && new Date(current.lock.expiresAt).getTime() < now().getTime()) {
          try {
            await s3.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: keyOf(holder.id), IfMatch: current.etag }));
          } catch (e) {
            if (!isPreconditionFailed(e)) throw e;
          }
          continue;
        }
        if (!current) continue;
        if (Date.now() >= deadline) throw new OpsError("remote", [{ message: heldMessage(current.lock, "s3"), resource: lockResource(holder.id) }]);
        await sleep(POLL_MS);
      }
    },
    async list() {
      const r = await s3.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}locks/` }));
      const out: LockHolder[] = [];
      for (const o of r.Contents ?? []) {
        const id = decodeURIComponent((o.Key ?? "").slice(`${prefix}locks/`.length).replace(/\.json$/, ""));
        const cur = await read(id);
        if (cur) out.push({ ...cur.lock, stale: new Date(cur.lock.expiresAt).getTime() < now().getTime() });
      }
      return out;
    },
    async forceRelease(id) {
      const cur = await read(id);
      if (!cur) return false;
      await s3.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: keyOf(id) }));
      return true;
    },
    async appendAudit(record) {
      const key = `${prefix}audit/${now().toISOString()}-${hostname()}-${process.pid}.json`;
      await s3.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(record), IfNoneMatch: "*", ContentType: "application/json" }));
    },
    async close() {
      s3.destroy();
    },
  };
}
