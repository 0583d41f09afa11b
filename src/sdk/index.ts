// The public API for commands, built-in and team-written alike (docs/extending.md).
// A command is one folder that imports only from here (and its own files).

export type { FlagKind, FlagSpec, PositionalSpec } from "../cli/flags.ts";
export { duration, positiveInt, secret, tagSelector } from "../config/schema.ts";
export type {
  ApplyHandler,
  ApplyOutcome,
  CommandMode,
  Draft,
  FinishOutcome,
  InfoInvocation,
  PlannableCommand,
  ReportCommand,
  ReportOutcome,
  RunContext,
  Validation,
} from "../core/command.ts";
export { mapLimit } from "../core/concurrency.ts";
export { formatDuration, parseDuration } from "../core/duration.ts";
export { describeSource, OpsError, type Problem, remoteError, usageError, validationError } from "../core/errors.ts";
export { perRun } from "../core/per-run.ts";
export type { Action, Check, Operation, Plan, Precondition, Resource, Scope, Skipped } from "../core/plan.ts";
export type { LiveState } from "../core/preconditions.ts";
export { defineProvider, type Phase, type ProviderDefinition, type ProviderTypes } from "../core/providers.ts";
export type { ActionResult, ExecutionResult } from "../core/report.ts";
export { awsOptions, callerAccount } from "../providers/aws/context.ts";
export { awsErrorInfo, DENIED_CODES, remoteFailure } from "../providers/aws/errors.ts";
export { type AwsClientOptions, awsClient } from "../providers/aws/options.ts";
export { type CommandDefinition, defineCommand, planOnly, type SectionOf } from "./define.ts";
export { defineReport, type ReportDefinition } from "./define-report.ts";
export { createRegistry, group, plannables, type RegistryOptions, reports } from "./registry.ts";
