import { createHash, randomBytes } from "node:crypto";
import { closeSync, createWriteStream, fsyncSync, openSync, renameSync, rmSync, type WriteStream } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createGzip, type Gzip } from "node:zlib";
import { TAR_END, tarHeader, tarPadding } from "./tar.ts";

// The bundle is written under a hidden temporary name in the destination folder and
// renamed into place only after the manifest is in and the file is synced: whatever
// stops the run (an error, SIGINT, SIGKILL, a full disk), no partial bundle ever sits
// under the final name. Every entry and the file itself are 0600.

export const MANIFEST_NAME = "manifest.json";
export const BUNDLE_SCHEMA = "opsctl.incident-bundle/v1";

export interface FileRecord {
  path: string;
  collector: string;
  /** The read that produced it: API and operation, or file path, or command. */
  source: string;
  /** Request ids the remote returned for the calls behind this file, where it gives any. */
  requestIds: string[];
  bytes: number;
  sha256: string;
  truncated?: { reason: string; limitBytes: number };
  /** How many secrets were replaced, per kind. */
  redactions?: Record<string, number>;
}

export interface BundleResult {
  path: string;
  /** sha256 of the .tar.gz itself: printed on stdout, the seal over the manifest. */
  digest: string;
  bytes: number;
}

export class BundleWriter {
  readonly finalPath: string;
  readonly tempPath: string;
  private readonly gzip: Gzip;
  private readonly out: WriteStream;
  private readonly records: FileRecord[] = [];
  private readonly names = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private failure: Error | undefined;
  private readonly mtime: Date;
  private readonly digest = createHash("sha256");
  private size = 0;

  private constructor(finalPath: string, mtime: Date) {
    this.finalPath = finalPath;
    this.mtime = mtime;
    this.tempPath = join(dirname(finalPath), `.${basename(finalPath)}.partial-${process.pid}-${randomBytes(4).toString("hex")}`);
    // wx: never reuse or follow a file someone placed there. Opened synchronously, so the
    // file exists from here on and abort() can never run before it is created.
    const fd = openSync(this.tempPath, "wx", 0o600);
    this.out = createWriteStream(this.tempPath, { fd, mode: 0o600 });
    this.gzip = createGzip({ level: 6 });
    this.gzip.pipe(this.out);
    // The bundle's own digest is taken from the bytes as they go to disk.
    this.gzip.on("data", (c: Buffer) => {
      this.digest.update(c);
      this.size += c.length;
    });
    const fail = (e: Error) => {
      this.failure ??= e;
    };
    this.out.on("error", fail);
    this.gzip.on("error", fail);
  }

  /** Creates the temporary file next to the final name (throws if it cannot). */
  static open(finalPath: string, mtime: Date): BundleWriter {
    return new BundleWriter(finalPath, mtime);
  }

  /** Adds one file; writes are serialised, so collectors running at once may all call it. */
  add(record: Omit<FileRecord, "bytes" | "sha256">, data: Uint8Array): Promise<FileRecord> {
    if (this.closed) return Promise.reject(new Error("bundle already closed"));
    const path = this.uniqueName(record.path);
    const full: FileRecord = { ...record, path, bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
    this.records.push(full);
    const step = this.queue.then(async () => {
      await this.write(tarHeader({ name: path, size: data.length, mode: 0o600, mtime: this.mtime }));
      await this.write(data);
      await this.write(tarPadding(data.length));
    });
    this.queue = step.catch(() => {});
    return step.then(() => full);
  }

  get files(): readonly FileRecord[] {
    return this.records;
  }

  /** Writes the manifest last, ends the archive, syncs, and renames into place. */
  async finish(manifest: Record<string, unknown>): Promise<BundleResult> {
    const body = new TextEncoder().encode(`${JSON.stringify({ ...manifest, files: this.records }, null, 2)}\n`);
    await this.queue;
    this.closed = true;
    await this.write(tarHeader({ name: MANIFEST_NAME, size: body.length, mode: 0o600, mtime: this.mtime }));
    await this.write(body);
    await this.write(tarPadding(body.length));
    await this.write(TAR_END);
    await new Promise<void>((resolve, reject) => {
      this.out.once("close", resolve);
      this.out.once("error", reject);
      this.gzip.end();
    });
    if (this.failure) throw this.failure;
    const fd = openSync(this.tempPath, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.tempPath, this.finalPath);
    return { path: this.finalPath, digest: `sha256:${this.digest.digest("hex")}`, bytes: this.size };
  }

  /** Drops the temporary file; the final name is never touched. */
  abort(): void {
    this.closed = true;
    this.gzip.destroy();
    this.out.destroy();
    rmSync(this.tempPath, { force: true });
  }

  private uniqueName(path: string): string {
    const clean = path
      .replace(/[^A-Za-z0-9._/@=+-]/g, "_")
      .replace(/\/{2,}/g, "/")
      .replace(/^\/+/, "");
    let name = clean;
    for (let i = 2; this.names.has(name) || name === MANIFEST_NAME; i++) name = clean.replace(/(\.[a-z]+)?$/, `.${i}$1`);
    this.names.add(name);
    return name;
  }

  private write(chunk: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      if (this.gzip.write(chunk)) resolve();
      else this.gzip.once("drain", resolve);
      if (this.failure) reject(this.failure);
    });
  }
}
