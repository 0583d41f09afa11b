import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { canonicalJson, sha256 } from "../canonical.ts";
import { OpsError } from "../errors.ts";
import { heldMessage, type Lease, type LockBackend, type LockHolder, lockResource, sleep } from "./types.ts";

const POLL_MS = 200;

/**
 * The embedded default: one file per scope in the state directory, created with
 * O_EXCL so exactly one process wins. A file whose holder process is gone on this
 * host is stale and is taken over (with a warning).
 */
export class LocalLocks implements LockBackend {
  readonly name = "local";
  private readonly dir: string;

  constructor(
    stateDir: string,
    private readonly warn: (msg: string) => void,
  ) {
    this.dir = join(stateDir, "locks");
  }

  async acquire(holder: LockHolder, timeoutMs: number): Promise<Lease> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(holder.id);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        writeFileSync(file, canonicalJson(holder), { flag: "wx", mode: 0o600 });
        return { release: async () => this.removeIfOurs(file, holder) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const current = this.read(file);
      if (current && isStale(current)) {
        this.warn(`taking over stale lock ${current.id}: pid ${current.pid} on ${current.host} is gone (since ${current.since})`);
        this.removeIfOurs(file, current);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new OpsError("remote", [
          { message: current ? heldMessage(current, this.name) : `lock ${holder.id} is held (${file})`, resource: lockResource(holder.id) },
        ]);
      }
      await sleep(POLL_MS);
    }
  }

  async list(): Promise<LockHolder[]> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith(".lock"));
    } catch {
      return [];
    }
    return names
      .map((n) => this.read(join(this.dir, n)))
      .filter((h): h is LockHolder => Boolean(h))
      .map((h) => ({ ...h, stale: isStale(h) }));
  }

  async forceRelease(id: string): Promise<boolean> {
    try {
      unlinkSync(this.file(id));
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {}

  private file(id: string): string {
    return join(this.dir, `${sha256(id).slice(0, 32)}.lock`);
  }

  private read(file: string): LockHolder | undefined {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as LockHolder;
    } catch {
      return undefined;
    }
  }

  /** Removes the file only if it still names this holder: never someone else's lock. */
  private removeIfOurs(file: string, holder: LockHolder): void {
    const current = this.read(file);
    if (!current || (current.pid === holder.pid && current.host === holder.host && current.since === holder.since)) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  }
}

function isStale(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}
