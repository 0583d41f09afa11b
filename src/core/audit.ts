import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { currentUser } from "./apply.ts";
import type { RunContext } from "./command.ts";
import type { ExitName } from "./exit-codes.ts";
import { exitCode } from "./exit-codes.ts";
import type { LockBackend } from "./lock/types.ts";
import type { Plan } from "./plan.ts";
import { type ErrorEntry, type ExecutionResult, summarize } from "./report.ts";
import { stateDir } from "./state-dir.ts";

export const AUDIT_FILE = "audit.jsonl";

export interface AuditRecord {
  schema: "opsctl.audit/v1";
  time: string;
  user: string;
  host: string;
  command: string;
  scope: Plan["scope"];
  planDigest: string;
  exit: { code: number; name: ExitName };
  summary: ReturnType<typeof summarize>;
  actions: { id: string; resource: string; operation: string; status: string; error?: string }[];
  errors: ErrorEntry[];
}

/**
 * One JSON line per apply in the state directory, and a copy in the shared lock store
 * when one is configured. Every record passes the secret scrubber first.
 */
export async function appendAudit(
  ctx: RunContext,
  shared: LockBackend | undefined,
  o: { plan: Plan; result: ExecutionResult | null; exit: ExitName; errors?: ErrorEntry[] },
): Promise<void> {
  const record: AuditRecord = {
    schema: "opsctl.audit/v1",
    time: ctx.deps.now().toISOString(),
    user: currentUser(ctx.deps.env),
    host: hostname(),
    command: o.plan.command,
    scope: o.plan.scope,
    planDigest: o.plan.digest,
    exit: { code: exitCode(o.exit), name: o.exit },
    summary: summarize(o.plan, o.result),
    actions: (o.result?.actions ?? []).map((a) => ({
      id: a.id,
      resource: a.resource,
      operation: a.operation,
      status: a.status,
      ...(a.error ? { error: `${a.error.class}: ${a.error.message}` } : {}),
    })),
    errors: o.errors ?? [],
  };
  const line = ctx.redactor.scrub(JSON.stringify(record));
  const dir = stateDir(ctx.config, ctx.deps.env, ctx.deps.cwd);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    appendFileSync(join(dir, AUDIT_FILE), `${line}\n`, { mode: 0o600 });
  } catch (e) {
    ctx.log.warn(`could not append the audit record to ${join(dir, AUDIT_FILE)}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (shared?.appendAudit) {
    await shared
      .appendAudit(JSON.parse(line))
      .catch((e) => ctx.log.warn(`could not copy the audit record to the ${shared.name} store: ${(e as Error).message}`));
  }
}

export function readAudit(dir: string, limit: number): AuditRecord[] {
  const file = join(dir, AUDIT_FILE);
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  const out: AuditRecord[] = [];
  for (const l of lines.slice(-limit)) {
    try {
      out.push(JSON.parse(l) as AuditRecord);
    } catch {
      // A torn last line (a run killed mid-write) is skipped, not fatal.
    }
  }
  return out.reverse();
}
