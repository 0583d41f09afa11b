import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { BUNDLE_SCHEMA, type FileRecord, MANIFEST_NAME } from "./bundle.ts";
import { TarReader } from "./tar.ts";

export interface VerifyProblem {
  path: string;
  problem: "hash-mismatch" | "size-mismatch" | "missing" | "not-in-manifest" | "duplicate";
  detail: string;
}

export interface VerifyReport {
  bundle: string;
  /** sha256 of the .tar.gz as read: compare with the digest printed when it was collected. */
  digest: string;
  schema: string | undefined;
  files: number;
  ok: number;
  problems: VerifyProblem[];
  /** The bundle cannot be read as one (not gzip, not tar, no manifest): nothing was checked. */
  unreadable?: string;
}

/**
 * Re-hashes every entry of a bundle and compares it with its manifest. Streams the
 * file: a bundle of any size is checked in constant memory.
 */
export async function verifyBundle(path: string): Promise<VerifyReport> {
  const seen = new Map<string, { hash: Hash; bytes: number; count: number }>();
  let manifestText = "";
  const whole = createHash("sha256");
  const reader = new TarReader(
    (e) => {
      if (e.name === MANIFEST_NAME) return;
      const prev = seen.get(e.name);
      seen.set(e.name, { hash: createHash("sha256"), bytes: 0, count: (prev?.count ?? 0) + 1 });
    },
    (e, chunk) => {
      if (e.name === MANIFEST_NAME) {
        manifestText += new TextDecoder().decode(chunk, { stream: true });
        return;
      }
      const s = seen.get(e.name);
      s?.hash.update(chunk);
      if (s) s.bytes += chunk.length;
    },
  );
  const report: VerifyReport = { bundle: path, digest: "", schema: undefined, files: 0, ok: 0, problems: [] };
  try {
    await new Promise<void>((resolve, reject) => {
      const file = createReadStream(path);
      const gunzip = createGunzip();
      file.on("data", (c) => whole.update(c as Buffer));
      file.on("error", reject);
      gunzip.on("error", (e) => reject(new Error(`not a gzip file (${(e as NodeJS.ErrnoException).code ?? e.message})`)));
      gunzip.on("data", (c: Buffer) => {
        try {
          reader.push(c);
        } catch (e) {
          reject(e);
          file.destroy();
        }
      });
      gunzip.on("end", resolve);
      file.pipe(gunzip);
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") throw e;
    return { ...report, unreadable: (e as Error).message };
  }
  report.digest = `sha256:${whole.digest("hex")}`;
  if (!reader.complete) return { ...report, unreadable: "the archive ends early (truncated tar)" };
  let manifest: { schema?: string; files?: FileRecord[] };
  try {
    manifest = JSON.parse(manifestText);
  } catch {
    return { ...report, unreadable: manifestText ? `${MANIFEST_NAME} does not parse` : `no ${MANIFEST_NAME} in the bundle` };
  }
  report.schema = manifest.schema;
  if (manifest.schema !== BUNDLE_SCHEMA || !Array.isArray(manifest.files)) {
    return { ...report, unreadable: `${MANIFEST_NAME} is not ${BUNDLE_SCHEMA}` };
  }
  report.files = manifest.files.length;
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const got = seen.get(f.path);
    if (!got) {
      report.problems.push({ path: f.path, problem: "missing", detail: "listed in the manifest, absent from the bundle" });
      continue;
    }
    const sha = got.hash.digest("hex");
    if (got.count > 1) report.problems.push({ path: f.path, problem: "duplicate", detail: `${got.count} entries with this name` });
    else if (got.bytes !== f.bytes) report.problems.push({ path: f.path, problem: "size-mismatch", detail: `manifest ${f.bytes} bytes, bundle ${got.bytes}` });
    else if (sha !== f.sha256) report.problems.push({ path: f.path, problem: "hash-mismatch", detail: `manifest sha256 ${f.sha256}, bundle ${sha}` });
    else report.ok++;
  }
  for (const name of seen.keys()) {
    if (!listed.has(name)) report.problems.push({ path: name, problem: "not-in-manifest", detail: "in the bundle, not listed in the manifest" });
  }
  return report;
}
