import { OpsError } from "../errors.ts";
import type { Scope } from "../plan.ts";

/** Who holds a lock: enough for an operator to find and ask them (or release it). */
export interface LockHolder {
  /** The lock id: the scope key, e.g. `cleanup-volumes/staging/us-east-1/123456789012`. */
  id: string;
  pid: number;
  host: string;
  user: string;
  since: string;
  command: string;
  planDigest: string;
  /** Set by backends that can tell (local: holder process gone; postgres: session gone; s3: lease expired). */
  stale?: boolean;
}

export interface Lease {
  release(): Promise<void>;
}

export interface LockBackend {
  readonly name: string;
  /** Takes the lock or throws OpsError("remote") naming the holder. Waits up to timeoutMs. */
  acquire(holder: LockHolder, timeoutMs: number): Promise<Lease>;
  list(): Promise<LockHolder[]>;
  /** Removes a lock whatever its state; true when there was one. */
  forceRelease(id: string): Promise<boolean>;
  /** Shared backends keep a copy of the audit log next to their locks. */
  appendAudit?(record: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** One lock per scope: command + environment + region/account (DESIGN §6). */
export function scopeKey(command: string, scope: Scope): string {
  const key = [command, scope.environment, scope.region ?? "-", scope.account ?? "-"].join("/");
  // A command's own target (one database of many) is its own scope.
  return scope.target ? `${key}/${scope.target}` : key;
}

/** The `resource` of a "lock is held" error: a multi-scope run reports that scope as locked, not failed. */
export function lockResource(id: string): string {
  return `lock:${id}`;
}

export function heldMessage(h: LockHolder, backend: string): string {
  return `lock ${h.id} is held by pid ${h.pid} on ${h.host} (user ${h.user}, ${h.command}, plan ${h.planDigest.slice(0, 19)}) since ${h.since} [${backend}]; wait with --lock-timeout, or if that run is dead: opsctl lock release --force ${h.id}`;
}

/** A lock store that answers with an error (missing bucket, dropped connection) is a remote failure: exit 4. */
export async function guardStore<T>(backend: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof OpsError) throw e;
    const err = e as { name?: string; code?: string; message?: string };
    const code = err.code ?? (err.name && err.name !== "Error" ? err.name : undefined);
    throw new OpsError(
      "remote",
      [{ message: `the ${backend} lock store failed to ${what}: ${code ? `${code}: ` : ""}${(err.message ?? String(e)).split("\n")[0]}` }],
      { cause: e },
    );
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
