import * as v from "valibot";
import { secret } from "../../config/markers.ts";

// The targets of a fleet run (issue 18): AWS accounts (with the role chain into each and
// the regions to visit) and Kubernetes contexts, plus a block list of accounts that are
// never touched. The same schema checks a targets file (--targets FILE) and the config's
// `targets`/`blocked` keys, so a targets file is literally a fragment of the config.

export const TARGET_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const TARGET_NAME_FORM = "a target name: 1-64 letters, digits, '_', '.' or '-'";
const ACCOUNT = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ENVIRONMENT = /^[A-Za-z0-9_-]{1,64}$/;

// YAML reads an unquoted 012345678901 as the number 12345678901: say how to write it.
const accountId = (what: string) =>
  v.pipe(
    v.string(`${what} must be a quoted string of 12 digits (unquoted, YAML reads it as a number and drops leading zeros)`),
    v.regex(ACCOUNT, `${what} must be exactly 12 digits`),
  );

const name = v.pipe(v.string("must be a string"), v.regex(TARGET_NAME, `must be ${TARGET_NAME_FORM}`));
const mode = v.optional(v.picklist(["write", "read-only"], "must be one of write, read-only (read-only: planned, never applied)"), "write");
const tags = v.optional(v.record(v.pipe(v.string(), v.minLength(1)), v.string("tag values must be strings (quote numbers)")), {});
const environments = v.optional(
  v.pipe(
    v.array(v.pipe(v.string(), v.regex(ENVIRONMENT, "environment names use letters, digits, - and _"))),
    v.minLength(1, "must list at least one environment (leave the key out to allow every environment)"),
    v.description("Selectable only with one of these --environment values"),
  ),
);

/** A non-empty list of regions, or "all" (the account's enabled regions, listed at plan time). */
const regions = v.pipe(
  v.union([v.literal("all"), v.array(v.string())], 'must be a list of regions (e.g. [us-east-1]) or "all"'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value === "all") return;
    const list = dataset.value as string[];
    if (!list.length) addIssue({ message: 'must list at least one region (or be "all")' });
    const bad = list.filter((r) => !REGION.test(r));
    if (bad.length) addIssue({ message: `not a region such as us-east-1: ${bad.map((r) => `'${r.slice(0, 40)}'`).join(", ")}` });
    const dup = list.filter((r, i) => list.indexOf(r) !== i);
    if (dup.length) addIssue({ message: `region listed more than once: ${[...new Set(dup)].join(", ")}` });
  }),
);

export const AwsTargetSchema = v.strictObject({
  kind: v.literal("aws"),
  name,
  account: accountId("account"),
  roles: v.optional(
    v.pipe(
      v.array(v.pipe(v.string("must be a string"), v.regex(ROLE_ARN, "must be a role ARN such as arn:aws:iam::111111111111:role/opsctl"))),
      v.description("Role ARNs assumed in order (a chain); empty: the base credentials, which must belong to the account"),
    ),
    [],
  ),
  externalId: v.optional(secret("External id for the last role of the chain (a literal, env:NAME or file:PATH)")),
  regions,
  tags,
  mode,
  environments,
});

export const KubeTargetSchema = v.strictObject({
  kind: v.literal("kubernetes"),
  name,
  contexts: v.pipe(
    v.array(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"))),
    v.minLength(1, "must list at least one kubeconfig context"),
  ),
  kubeconfig: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"), v.description("Kubeconfig file (default: kubectl's search)"))),
  tags,
  mode,
  environments,
});

export const TargetEntrySchema = v.variant("kind", [AwsTargetSchema, KubeTargetSchema], 'kind must be "aws" or "kubernetes"');

/** The `targets` list: names are unique (they are what --target and --scope select). */
export const TargetsListSchema = v.pipe(
  v.array(TargetEntrySchema, "must be a list of targets"),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const seen = new Map<string, number>();
    dataset.value.forEach((t, i) => {
      const first = seen.get(t.name);
      if (first !== undefined) addIssue({ message: `target name '${t.name}' is used twice (targets[${first}] and targets[${i}]); names must be unique` });
      else seen.set(t.name, i);
    });
  }),
  v.description("Accounts (role chain, regions) and Kubernetes contexts a fleet run may act on; selected with --target/--target-tag"),
);

export const BlockedSchema = v.pipe(
  v.array(accountId("a blocked account id")),
  v.description("Account ids never targeted, whatever is selected (a targets file can add to this list, never remove from it)"),
);

export const FleetSchema = v.strictObject({
  maxScopes: v.optional(
    v.pipe(v.number("must be a number"), v.integer("must be a whole number"), v.minValue(1, "must be at least 1"), v.description("Scopes run at once")),
  ),
  maxFailedScopes: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be a whole number"),
      v.minValue(0, "must be 0 or more"),
      v.description("After this many scopes failed, start no new scope (running ones finish)"),
    ),
  ),
});

export const FLEET_DEFAULTS = { maxScopes: 4 };

/** A targets file: the `targets` and `blocked` keys of the config, nothing else. */
export const TargetsFileSchema = v.strictObject({ targets: TargetsListSchema, blocked: v.optional(BlockedSchema) });

export type TargetMode = "write" | "read-only";

export interface AwsTarget {
  kind: "aws";
  name: string;
  /** 12 digits. */
  account: string;
  /** Role ARNs, assumed in order (a chain); empty: the base credentials, which must then belong to `account`. */
  roles: string[];
  /** A secret (literal, env:NAME or file:PATH), used for the LAST role of the chain. */
  externalId?: string;
  regions: string[] | "all";
  tags: Record<string, string>;
  mode: TargetMode;
  /** If set, selectable only with one of these --environment values. */
  environments?: string[];
  /** Where it was defined, for messages: "targets.yaml targets[2]", "repository config /x/opsctl.config.yaml targets[0]". */
  source: string;
}

export interface KubeTarget {
  kind: "kubernetes";
  name: string;
  contexts: string[];
  kubeconfig?: string;
  tags: Record<string, string>;
  mode: TargetMode;
  environments?: string[];
  source: string;
}

export type Target = AwsTarget | KubeTarget;

export interface TargetsSpec {
  targets: Target[];
  /** Account ids never targeted. */
  blocked: string[];
  /** "--targets ./t.yaml" or "config targets". */
  source: string;
  /** Where each blocked account id was listed (for the reason shown with a blocked target). */
  blockedFrom?: Record<string, string[]>;
}

export interface Selection {
  targets: Target[];
  blocked: { name: string; account: string; reason: string }[];
  criteria: { names: string[]; tags: Record<string, string>; environment: string; source: string };
}

/** One entry as the schema outputs it (defaults applied), before `source` is added. */
export type TargetEntry = v.InferOutput<typeof TargetEntrySchema>;
