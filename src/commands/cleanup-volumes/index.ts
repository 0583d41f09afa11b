import type { Plan } from "../../core/plan.ts";
import type { Ec2Port } from "../../providers/aws/ec2.ts";
import { awsOptions, type Check, callerAccount, defineCommand, parseDuration, perRun, type RunContext, remoteFailure } from "../../sdk/index.ts";
import { deleteVolumeHandler } from "./apply.ts";
import { CLEANUP_VOLUMES_DEFAULTS, type CleanupContext, CleanupVolumesSchema } from "./config.ts";
import { discoverVolumes } from "./discover.ts";
import { LiveReader } from "./live.ts";
import { type Criteria, liveAttributes, splitTag } from "./select.ts";
import { validateVolumes } from "./validate.ts";

const TAG = { re: /^[^=\s][^=]*=.*$/, form: "a tag selector KEY=VALUE" };

/** One EC2 client per run, shared by discovery, validation, live re-reads and deletes. */
const client = perRun((ctx: RunContext): Promise<Ec2Port> => ctx.provider("ec2", awsOptions(ctx)));

export const cleanupVolumes = defineCommand({
  name: "cleanup-volumes",
  description: "Delete unattached EBS volumes older than a threshold, in one environment",
  version: "1.0.0",
  config: { key: "cleanupVolumes", schema: CleanupVolumesSchema, defaults: CLEANUP_VOLUMES_DEFAULTS },
  providers: ["ec2", "sts"],
  flags: [
    {
      name: "older-than",
      kind: "duration",
      configKey: "cleanupVolumes.olderThan",
      valueName: "DURATION",
      description: "Only volumes created longer ago than this (default 30d)",
    },
    {
      name: "include-tag",
      kind: "list",
      configKey: "cleanupVolumes.includeTags",
      valueName: "K=V",
      itemPattern: TAG,
      description: "Only volumes with this tag (repeatable)",
    },
    {
      name: "exclude-tag",
      kind: "list",
      configKey: "cleanupVolumes.excludeTags",
      valueName: "K=V",
      itemPattern: TAG,
      description: "Never volumes with this tag (repeatable)",
    },
    {
      name: "snapshot-first",
      kind: "boolean",
      configKey: "cleanupVolumes.snapshotFirst",
      description: "Snapshot each volume (and wait for it) before deleting",
    },
    {
      name: "validation-mode",
      kind: "enum",
      values: ["per-context", "per-action"],
      configKey: "validation.mode",
      valueName: "MODE",
      description: "DryRun once per authorization context (default) or once per action",
    },
  ],
  permissions: ["ec2:DescribeVolumes", "ec2:DeleteVolume", "ec2:CreateSnapshot", "ec2:DescribeSnapshots", "ec2:CreateTags", "sts:GetCallerIdentity"],

  parameters(ctx) {
    const c = ctx.section;
    return {
      olderThan: c.olderThan,
      environmentTag: c.environmentTag,
      protectTag: c.protectTag,
      includeTags: c.includeTags,
      excludeTags: c.excludeTags,
      snapshotFirst: c.snapshotFirst,
    };
  },

  async plan(ctx) {
    const ec2 = await client(ctx);
    // Near-misses (too young, attached, other environment) only with --verbose: listing them
    // means a second, wider listing (every available volume and every one of the environment),
    // which made a JSON dry run 1.5–2.8× the DescribeVolumes work of the plan itself. The plan,
    // and so its digest, is the same whatever --format says.
    const nearMisses = ctx.flags.verbose === true;
    let found: Awaited<ReturnType<typeof discoverVolumes>>;
    try {
      // Filters run server-side; near-miss mode widens them to explain what was left out.
      found = await discoverVolumes(ec2, criteria(ctx), nearMisses);
    } catch (e) {
      throw remoteFailure("EC2", ctx.config.aws.endpoint, e);
    }
    ctx.log.debug(`discovered ${found.discovered} volume(s) in ${ctx.scope.region}`);
    const checks: Check[] = [];
    if (ctx.scope.account) checks.push(await accountCheck(ctx));
    return { actions: found.actions, skipped: found.skipped, checks };
  },

  async validate(plan, ctx) {
    const ec2 = await client(ctx);
    try {
      return await validateVolumes(plan, ec2, ctx.config.validation.mode, ctx.config.validation.ignoreTags);
    } catch (e) {
      throw remoteFailure("EC2", ctx.config.aws.endpoint, e);
    }
  },

  async live(action, ctx, plan) {
    const ec2 = await client(ctx);
    const v = plan ? await liveReader(plan, ec2).get(action.resource.id) : await ec2.getVolume(action.resource.id);
    return v ? liveAttributes(v) : undefined;
  },

  apply: { delete: deleteVolumeHandler(client) },
});

function criteria(ctx: CleanupContext): Criteria {
  const c = ctx.section;
  return {
    environment: ctx.scope.environment,
    environmentTag: c.environmentTag,
    olderThanMs: parseDuration(c.olderThan) as number,
    olderThanText: c.olderThan,
    include: c.includeTags.map(splitTag),
    exclude: c.excludeTags.map(splitTag),
    protect: splitTag(c.protectTag),
    snapshotFirst: c.snapshotFirst,
    now: ctx.deps.now(),
  };
}

async function accountCheck(ctx: RunContext): Promise<Check> {
  const actual = await callerAccount(ctx);
  const ok = actual === ctx.scope.account;
  return {
    name: "account",
    status: ok ? "passed" : "failed",
    detail: ok ? `credentials belong to ${actual}` : `credentials belong to account ${actual}, not ${ctx.scope.account}`,
  };
}

/** One batched reader per plan being applied (the executor's and the saved-plan re-check's plan objects). */
const readers = new WeakMap<Plan, LiveReader>();
function liveReader(plan: Plan, ec2: Ec2Port): LiveReader {
  let r = readers.get(plan);
  if (!r) {
    r = new LiveReader(ec2, plan.actions);
    readers.set(plan, r);
  }
  return r;
}
