import { CONFIG_FLAGS, OUTPUT_FLAGS } from "../../cli/flags.ts";
import type { GroupCommand, InfoCommand, InfoInvocation } from "../../core/command.ts";
import { coreContext } from "../../core/context.ts";
import { OpsError, usageError } from "../../core/errors.ts";
import { loadInfoConfig } from "../../core/info-config.ts";
import { openLocks } from "../../core/lock/open.ts";
import { guardStore, type LockBackend } from "../../core/lock/types.ts";
import { infoReport } from "../../core/report.ts";

const ENV_FLAG = { name: "environment", kind: "string" as const, valueName: "NAME", description: "Use environments.<NAME> lock settings" };

/** Opens the configured backend the way an apply in that environment would. */
async function withLocks<T>(inv: InfoInvocation, fn: (locks: LockBackend) => Promise<T>): Promise<T> {
  const environment = typeof inv.flags.environment === "string" ? inv.flags.environment : undefined;
  const resolved = await loadInfoConfig(inv.deps, inv.flags, environment);
  const scope = { environment: environment ?? "-", region: resolved.config.region ?? "us-east-1" };
  const ctx = await coreContext(inv.deps, inv.flags, resolved, scope);
  const locks = await openLocks(ctx);
  try {
    return await fn(locks);
  } finally {
    await locks.close().catch(() => {});
  }
}

const list: InfoCommand = {
  kind: "info",
  name: "list",
  description: "List apply locks in the configured backend: holder, since when, and whether the holder is gone",
  flags: [ENV_FLAG, ...CONFIG_FLAGS, ...OUTPUT_FLAGS],
  async run(inv) {
    const data = await withLocks(inv, async (locks) => ({ backend: locks.name, locks: await guardStore(locks.name, "list locks", () => locks.list()) }));
    return infoReport("lock list", data, "lock-list");
  },
};

const release: InfoCommand = {
  kind: "info",
  name: "release",
  description: "Remove a lock left by a dead run (needs --force: a live run would lose its protection)",
  positionals: [{ name: "id", description: "lock id as shown by `opsctl lock list`", required: true }],
  flags: [{ name: "force", kind: "boolean", description: "Required: confirms the holder is really gone" }, ENV_FLAG, ...CONFIG_FLAGS, ...OUTPUT_FLAGS],
  async run(inv) {
    if (inv.flags.force !== true) throw usageError([{ message: "lock release needs --force", source: { kind: "flag", name: "--force" } }]);
    const id = inv.positionals[0] as string;
    const removed = await withLocks(inv, (locks) => guardStore(locks.name, `release ${id}`, () => locks.forceRelease(id)));
    if (!removed) throw new OpsError("validation", [{ message: `no lock with id ${id}` }]);
    return infoReport("lock release", { released: id }, "lock-release");
  },
};

export const lock: GroupCommand = { kind: "group", name: "lock", description: "Inspect and release apply locks", subCommands: { list, release } };
