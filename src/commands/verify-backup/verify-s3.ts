import type { S3BackupsPort } from "../../providers/aws/s3-backups.ts";
import { checksumHex } from "../../providers/aws/s3-backups.ts";
import { type ChecksumEvidence, type Evidence, newEvidence } from "./evidence.ts";
import { freshness, rank } from "./levels.ts";
import { type ManifestEntry, parseManifest } from "./manifest.ts";
import { Interrupted } from "./scratch.ts";
import type { SourceSpec } from "./sources.ts";
import type { VerifyOptions } from "./verify-pgdump.ts";

export interface S3Ports {
  s3: () => Promise<S3BackupsPort>;
  manifests: string[];
  manifestMaxBytes: number;
}

type S3Spec = Extract<SourceSpec, { kind: "s3" }>;

/**
 * exists (the prefix still has objects) → integrity: each object against the manifest
 * (by S3's stored SHA-256 where there is one, else by reading it in full), or, without a
 * manifest, re-read in full against its stored checksum. Creates nothing.
 */
export async function verifyS3(spec: S3Spec, o: VerifyOptions, p: S3Ports): Promise<Evidence> {
  const ev = newEvidence(spec.text, spec.kind, o.requested, o.target, o.point);
  try {
    await run(spec, o, p, ev);
  } catch (e) {
    ev.findings.push(e instanceof Interrupted ? e.message : (`${(e as Error)?.message ?? e}`.split("\n")[0] ?? ""));
  }
  ev.verified = ev.findings.length === 0 && ev.level.reached === o.target;
  return ev;
}

async function run(spec: S3Spec, o: VerifyOptions, p: S3Ports, ev: Evidence): Promise<void> {
  const fresh = freshness(new Date(o.point.time), o.now, o.maxAge.text, o.maxAge.ms);
  ev.freshness = fresh;
  if (!fresh.ok) return void ev.findings.push(`stale: ${fresh.detail}`);
  const s3 = await p.s3();
  const objects = await s3.list(spec.bucket, spec.prefix);
  if (!objects.length) return void ev.findings.push(`s3://${spec.bucket}/${spec.prefix} has no objects any more`);
  ev.level.reached = "exists";
  if (rank(o.target) < rank("integrity")) return;

  const manifestKeys = new Set(p.manifests.map((m) => spec.prefix + m));
  const manifestObj = objects.find((x) => manifestKeys.has(x.key));
  let entries: Map<string, ManifestEntry> | undefined;
  if (manifestObj) {
    const parsed = parseManifest(manifestObj.key, await s3.readText(spec.bucket, manifestObj.key, p.manifestMaxBytes), spec.prefix);
    if (typeof parsed === "string") return void ev.findings.push(`integrity: manifest ${parsed}`);
    entries = new Map(parsed.map((e) => [e.key, e]));
    const present = new Set(objects.map((x) => x.key));
    for (const e of parsed) if (!present.has(e.key)) ev.findings.push(`integrity: s3://${spec.bucket}/${e.key} is listed in ${manifestObj.key} but missing`);
  }

  for (const obj of objects) {
    if (obj.key === manifestObj?.key) continue;
    if (o.signal.aborted) throw new Interrupted("checksum verification");
    const uri = `s3://${spec.bucket}/${obj.key}`;
    const head = await s3.head(spec.bucket, obj.key);
    if (!head) {
      ev.findings.push(`integrity: ${uri} disappeared while verifying`);
      continue;
    }
    const want = entries?.get(obj.key);
    const stored = head.checksum?.algorithm === "SHA256" ? checksumHex(head.checksum) : undefined;
    let c: ChecksumEvidence;
    if (want && stored) {
      // S3 computed this at upload: comparing it with the manifest needs no read of the data.
      c = {
        object: uri,
        algorithm: "SHA256",
        expectedFrom: "manifest",
        expected: want.sha256,
        actual: stored,
        how: "stored-checksum",
        sizeActual: head.size,
        ok: stored === want.sha256,
      };
    } else {
      const read = await s3.sha256(spec.bucket, obj.key, o.signal);
      const expected = want?.sha256 ?? stored ?? "";
      c = {
        object: uri,
        algorithm: "SHA256",
        expectedFrom: want
          ? "manifest"
          : stored
            ? "S3 stored checksum"
            : head.checksum
              ? `none comparable (stored ${head.checksum.algorithm}); size only`
              : "none stored, no manifest; size only",
        expected,
        actual: read.hex,
        how: "full-read",
        sizeActual: read.bytes,
        ok: read.bytes === head.size && (expected === "" || expected === read.hex),
      };
    }
    if (want?.size !== undefined) {
      c.sizeExpected = want.size;
      if (want.size !== head.size) c.ok = false;
    } else if (c.how === "full-read") c.sizeExpected = head.size;
    ev.checksums.push(c);
    if (!c.ok) {
      const sizes = c.sizeExpected !== undefined && c.sizeExpected !== c.sizeActual ? ` (${c.sizeActual} bytes, expected ${c.sizeExpected})` : "";
      ev.findings.push(
        `checksum mismatch: ${uri} ${c.expectedFrom} SHA-256 ${c.expected.slice(0, 16)}…, ${c.how === "full-read" ? "read" : "stored"} ${c.actual.slice(0, 16)}…${sizes}`,
      );
    }
  }
  if (!ev.findings.length) ev.level.reached = "integrity";
}
