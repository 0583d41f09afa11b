import type * as v from "valibot";
import { type FlagSpec, REPORT_FLAGS, reportOutputFlags } from "../cli/flags.ts";
import type { Config, DeepPartial } from "../config/schema.ts";
import type { ReportCommand, ReportOutcome, RunContext } from "../core/command.ts";
import type { ProviderDefinition, ProviderTypes } from "../core/providers.ts";
import type { SectionOf } from "./define.ts";

// biome-ignore lint/suspicious/noExplicitAny: any strict object schema
type SectionSchema = v.StrictObjectSchema<any, any>;

/** A read-only command whose result is a report (an audit, an inventory). */
export interface ReportDefinition<S extends SectionSchema, D extends DeepPartial<v.InferInput<S>>> {
  name: string;
  description: string;
  version: string;
  config?: { key: string; schema: S; defaults: D };
  /** Its own flags; --environment/--region/--account/--show-config/--config/--out and the output flags are added. */
  flags?: FlagSpec[];
  /** --format values besides text and json (each needs a renderer in the outcome), e.g. ["csv"]. */
  formats?: string[];
  providers: (keyof ProviderTypes | ProviderDefinition)[];
  permissions: string[];
  scope?: { region?: boolean | ((section: SectionOf<S, D>, config: Config) => boolean) };
  /** Discovery and the report; clients refuse mutations. findings > 0 is exit 10. */
  run(ctx: RunContext<SectionOf<S, D>>): Promise<ReportOutcome>;
}

// Filled in by scripts/build.ts (see define.ts).
declare const __OPSCTL_COMMAND_DIGESTS__: Record<string, string> | undefined;
const DIGESTS: Record<string, string> = typeof __OPSCTL_COMMAND_DIGESTS__ === "object" ? __OPSCTL_COMMAND_DIGESTS__ : {};

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * A report command: scoped and configured like defineCommand's, but it never plans or
 * applies. Exit 0 without findings, 10 with (so CI or cron can alert); --out FILE saves
 * the rendered report instead of printing it.
 */
export function defineReport<S extends SectionSchema, D extends DeepPartial<v.InferInput<S>>>(def: ReportDefinition<S, D>): ReportCommand<SectionOf<S, D>> {
  if (!NAME.test(def.name)) throw new Error(`command name '${def.name}' must be kebab-case`);
  if (!SEMVER.test(def.version)) throw new Error(`${def.name}: version '${def.version}' must be semver (1.2.3)`);
  const own = def.flags ?? [];
  const output = reportOutputFlags(def.formats ?? []);
  const shared = new Set([...REPORT_FLAGS, ...output].map((f) => f.name));
  const clash = own.find((f) => shared.has(f.name));
  if (clash) throw new Error(`${def.name}: flag --${clash.name} is one of the shared flags the SDK adds`);
  const region = def.scope?.region;
  return {
    kind: "report",
    name: def.name,
    description: def.description,
    version: def.version,
    sourceDigest: () => DIGESTS[def.name] ?? "source",
    flags: [...own.filter((f) => f.required), ...REPORT_FLAGS, ...own.filter((f) => !f.required), ...output],
    ...(def.config ? { config: def.config } : {}),
    providers: def.providers as (string | ProviderDefinition)[],
    permissions: def.permissions,
    run: def.run,
    ...(region === undefined ? {} : { needsRegion: typeof region === "function" ? region : () => region }),
  };
}
