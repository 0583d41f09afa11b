import { DURATION_FORM } from "../core/duration.ts";
import { TARGET_SELECTION_FLAGS } from "../core/targets/flags.ts";

export type FlagKind = "string" | "boolean" | "enum" | "duration" | "integer" | "list";

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  description: string;
  values?: readonly string[];
  required?: boolean;
  /** Config key this flag sets (the top layer of DESIGN §4). */
  configKey?: string;
  /** Placeholder in help, e.g. FILE, N, K=V. */
  valueName?: string;
  /** For list flags: a pattern every item must match, with the accepted form. */
  itemPattern?: { re: RegExp; form: string };
  default?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  values?: readonly string[];
}

export const FORMAT: FlagSpec = { name: "format", kind: "enum", values: ["text", "json"], description: "Output format", default: "text" };
export const NO_COLOR: FlagSpec = { name: "no-color", kind: "boolean", description: "Disable colour (also NO_COLOR, TERM=dumb)" };
export const QUIET: FlagSpec = { name: "quiet", kind: "boolean", description: "Only errors on stderr" };
export const VERBOSE: FlagSpec = { name: "verbose", kind: "boolean", description: "Debug logs on stderr; list near-misses as skipped" };

/** Flags every command accepts. */
export const OUTPUT_FLAGS: FlagSpec[] = [FORMAT, NO_COLOR, QUIET, VERBOSE];

/** Flags that only load configuration (config show and --show-config). */
export const CONFIG_FLAGS: FlagSpec[] = [
  { name: "config", kind: "string", valueName: "FILE", description: "Repository config file (instead of searching upward)" },
];

/** The scope flags: which environment, region and account a run acts on. */
export const SCOPE_FLAGS: FlagSpec[] = [
  { name: "environment", kind: "string", required: true, valueName: "NAME", description: "Environment to act on (selects environments.<NAME> in config)" },
  { name: "region", kind: "string", configKey: "region", valueName: "REGION", description: "Cloud region (default from config)" },
  { name: "account", kind: "string", configKey: "account", valueName: "ID", description: "Expected account id; refused if the credentials belong to another" },
];

/** A target selection instead of one --region/--account scope (README "Many accounts, regions and clusters"). */
export const FLEET_FLAGS: FlagSpec[] = [
  ...TARGET_SELECTION_FLAGS,
  {
    name: "max-scopes",
    kind: "integer",
    configKey: "fleet.maxScopes",
    valueName: "N",
    description: "Scopes worked on at once in a multi-scope run (default 4)",
  },
  {
    name: "max-failed-scopes",
    kind: "integer",
    configKey: "fleet.maxFailedScopes",
    valueName: "N",
    description: "After N scopes failed, start no new scope; running ones finish",
  },
];

/** The scope and safety flags of every command that plans and applies (DESIGN §4–5). */
export const MUTATING_FLAGS: FlagSpec[] = [
  ...SCOPE_FLAGS,
  { name: "dry-run", kind: "boolean", description: "Plan and validate against the control plane; change nothing" },
  { name: "out", kind: "string", valueName: "FILE", description: "With --dry-run: save the plan for `opsctl apply`" },
  { name: "yes", kind: "boolean", description: "Confirm applying to a protected environment" },
  { name: "max-changes", kind: "integer", configKey: "guardrails.maxChanges", valueName: "N", description: "Refuse plans with more actions than this" },
  { name: "concurrency", kind: "integer", configKey: "executor.concurrency", valueName: "N", description: "Actions applied at once (default 4)" },
  {
    name: "lock-timeout",
    kind: "duration",
    configKey: "lock.timeout",
    valueName: "DURATION",
    description: "Wait this long for the scope's lock if another run holds it (default: do not wait)",
  },
  { name: "show-config", kind: "boolean", description: "Print the resolved configuration and where each value came from; contact nothing" },
  ...FLEET_FLAGS,
  ...CONFIG_FLAGS,
];

/** Scope flags of a read-only report command (no dry run, no apply, nothing to confirm). */
export const REPORT_FLAGS: FlagSpec[] = [
  ...MUTATING_FLAGS.filter((f) => ["environment", "region", "account", "show-config", "config"].includes(f.name)),
  { name: "out", kind: "string", valueName: "FILE", description: "Write the report (in --format) to FILE instead of stdout" },
];

/** The output flags with extra --format values (e.g. csv) for a report command. */
export function reportOutputFlags(formats: string[]): FlagSpec[] {
  return OUTPUT_FLAGS.map((f) => (f.name === "format" ? { ...f, values: ["text", "json", ...formats] } : f));
}

export function valueForm(spec: FlagSpec): string {
  switch (spec.kind) {
    case "enum":
      return `one of ${spec.values?.join(", ")}`;
    case "duration":
      return DURATION_FORM;
    case "integer":
      return "a whole number, 0 or more";
    case "list":
      return spec.itemPattern?.form ?? "a value (repeatable)";
    default:
      return spec.valueName ? `${article(spec.valueName)} ${spec.valueName}` : "a value";
  }
}

/** "an IMAGE", "an ID", "an N", "an NS", "a NAME", "a FILE": by sound, for placeholders in capitals. */
function article(word: string): "a" | "an" {
  return /^[AEIOU]/.test(word) || /^[FHLMNRSX][A-Z]?$/.test(word) ? "an" : "a";
}

/**
 * With --show-config only the flags that choose which configuration is shown (the scope
 * flags) are still required: showing config must not need, say, the image to deploy.
 */
export function requiredFor(spec: FlagSpec, given: Record<string, unknown>): boolean {
  if (!spec.required) return false;
  return given["show-config"] !== true || SCOPE_FLAGS.some((f) => f.name === spec.name);
}
