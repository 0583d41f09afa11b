// Providers are registered by name with a lazily imported factory; core knows none of
// them. Each provider registry module augments ProviderTypes so that
// ctx.provider("ec2", opts) is typed without core importing the provider.

// biome-ignore lint/suspicious/noExplicitAny: factories take their own options
export type ProviderFactory = (...args: any[]) => Promise<unknown>;

/** Augmented by provider registries: name → factory signature. */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging
export interface ProviderTypes {}

/** The factories a binary has, by name (tests replace some of them). */
export type Providers = Record<string, ProviderFactory>;

/** A provider a command brings itself (team commands), registered under its name. */
export interface ProviderDefinition<F extends ProviderFactory = ProviderFactory> {
  name: string;
  create: F;
}

/** Where a run is: planning and validating are read-only by construction. */
/** "read": a read-only command executing its plan; its clients keep refusing mutations. */
export type Phase = "plan" | "validate" | "apply" | "read";

export function defineProvider<F extends ProviderFactory>(name: string, create: F): ProviderDefinition<F> {
  return { name, create };
}

/**
 * Mutation guard for clients handed to commands: while planning or validating, only
 * reads and explicit dry runs pass. The error is a bug report, not an operator error:
 * the command tried to change something before apply.
 */
export class MutationRefused extends Error {
  constructor(service: string, operation: string, phase: Phase) {
    super(
      phase === "read"
        ? `${service} ${operation} was refused: this command is read-only (only reads and DryRun calls are sent)`
        : `${service} ${operation} was refused while ${phase === "plan" ? "planning" : "validating"}: commands may only read (or send DryRun calls) before apply`,
    );
    this.name = "MutationRefused";
  }
}
