import { describeSource, type Problem } from "./errors.ts";
import type { ExitName } from "./exit-codes.ts";
import type { FleetReport } from "./fleet/results.ts";
import type { Plan, Scope } from "./plan.ts";
import type { ApiUsage } from "./usage.ts";

export type Mode = "dry-run" | "apply" | "show-config" | "info" | "error";

/** "partial": applied in part (e.g. a collector whose output was cut); counted as applied, the run exits 5. */
export type ActionStatus = "applied" | "already-done" | "partial" | "failed" | "skipped" | "not-reached";
/** "verification": the action ran and what it checked did not hold (a finding, not a crash). */
export type ErrorClass = "remote" | "auth" | "validation" | "verification" | "internal";

export interface ActionResult {
  id: string;
  resource: string;
  operation: string;
  status: ActionStatus;
  detail?: string;
  error?: { class: ErrorClass; code?: string; message: string };
  outputs?: Record<string, string>;
  /** Resources the action created, even if it removed them again (exit codes count these as changes). */
  created?: string[];
  /** What the action measured, for the record; covered by ExecutionResult.evidenceDigest. */
  evidence?: Record<string, unknown>;
  durationMs: number;
}

export interface ExecutionResult {
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  actions: ActionResult[];
  /** Named outputs of the command's finish step (e.g. an artifact's path and digest). */
  outputs?: Record<string, string>;
  /** sha256 over the plan digest and every action's result and evidence, when actions record evidence. */
  evidenceDigest?: string;
}

export interface Summary {
  planned: number;
  applied: number;
  failed: number;
  skipped: number;
  notReached: number;
}

export interface ErrorEntry {
  code: ExitName;
  message: string;
  resource?: string;
  source?: string;
}

/** What every command returns; views turn it into text or the JSON envelope. */
export interface Report {
  command: string;
  mode: Mode;
  scope: Scope | null;
  plan: Plan | null;
  /** Execution result for apply; the command's data for informational commands. */
  result: unknown;
  exit: ExitName;
  errors: ErrorEntry[];
  /** Which text view renders it. */
  view: string;
  /** The command only reads (PlannableCommand.readOnly): its plan is reads, not changes. */
  readOnly?: boolean;
  /** With view "text": the command's own text for people (its JSON stays `result`). */
  text?: string;
  hint?: string;
  /** Report commands: the result already rendered per --format (text, csv, …); json is the envelope. */
  documents?: Record<string, string>;
  /** Report commands with --out: where the rendered output goes instead of stdout. */
  outFile?: string;
  /** Remote API calls the run made, per operation (absent when it made none). */
  apiCalls?: ApiUsage;
  /** A run over many scopes: the multi-scope plan and how each scope ended. */
  fleet?: FleetReport;
}

export function summarize(plan: Plan | null, result: ExecutionResult | null): Summary {
  const count = (s: ActionStatus) => result?.actions.filter((a) => a.status === s).length ?? 0;
  return {
    planned: plan?.actions.length ?? 0,
    applied: count("applied") + count("already-done") + count("partial"),
    failed: count("failed"),
    skipped: (plan?.skipped.length ?? 0) + count("skipped"),
    notReached: count("not-reached"),
  };
}

export function problemsToErrors(code: ExitName, problems: Problem[]): ErrorEntry[] {
  return problems.map((p) => ({
    code,
    message: p.message,
    ...(p.resource ? { resource: p.resource } : {}),
    ...(p.source ? { source: describeSource(p.source) } : {}),
  }));
}

/** What an informational command returns on success. */
export function infoReport(command: string, result: unknown, view: string): Report {
  return { command, mode: "info", scope: null, plan: null, result, exit: "ok", errors: [], view };
}

/** A failure before anything ran: the same envelope, with the problems as errors. */
export function failureReport(command: string, exit: ExitName, errors: ErrorEntry[], hint?: string): Report {
  return { command, mode: "error", scope: null, plan: null, result: null, exit, errors, view: "error", ...(hint ? { hint } : {}) };
}
