import type { Redactor } from "../config/redact.ts";
import type { Providers } from "./providers.ts";

export interface Writer {
  write(text: string): void;
  readonly isTTY: boolean;
}

export interface BuildInfo {
  version: string;
  commit: string;
  target: string;
}

/** Everything a command touches outside itself, injected so tests can replace it. */
export interface Deps {
  env: Record<string, string | undefined>;
  cwd: string;
  now: () => Date;
  stdout: Writer;
  stderr: Writer;
  /** Asks a question on stderr and reads one line; undefined when stdin is not a TTY. */
  prompt: (question: string) => Promise<string | undefined>;
  stdinIsTTY: boolean;
  /** Aborted on SIGINT/SIGTERM: nothing new starts after it fires. */
  signal: AbortSignal;
  /** Provider factories by name, created on demand so --help and --version never load an SDK. */
  providers: Providers;
  build: BuildInfo;
  runtime: string;
  /** Every secret seen while loading config; all output passes through it. */
  redactor: Redactor;
  /** Set when this run is one scope of a multi-scope run (src/core/fleet/). */
  binding?: ScopeBinding;
}

/**
 * What a multi-scope run hands each scope's run: whose credentials its cloud calls use
 * and the one API budget every scope shares. Opaque to core; providers read it.
 */
export interface ScopeBinding {
  /** The scope's name in the multi-scope plan, e.g. payments-prod/eu-west-1. */
  name: string;
  /** AWS: the credentials of the scope's role chain (a provider the SDK renews before expiry). */
  awsCredentials?: unknown;
  /** The run's API budget, shared by every scope (buckets are still per account and region). */
  budget?: object;
}
