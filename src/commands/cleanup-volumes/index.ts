import type { Ec2Port } from "../../providers/aws/ec2.ts";
import { awsOptions, type Check, defineCommand, mapLimit, parseDuration, perRun, type RunContext, remoteFailure } from "../../sdk/index.ts";
import { deleteVolumeHandler } from "./apply.ts";
import { CLEANUP_VOLUMES_DEFAULTS, type CleanupContext, CleanupVolumesSchema } from "./config.ts";
import { type Criteria, liveAttributes, selectVolumes, splitTag } from "./select.ts";

const TAG = { re: /^[^=\s][^=]*=.*$/, form: "a tag selector KEY=VALUE" };
const VALIDATION_CONCURRENCY = 8;

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
    const c = criteria(ctx);
    const nearMisses = ctx.flags.verbose === true || ctx.flags.format === "json";
    const endpoint = ctx.config.aws.endpoint;
    const tags = Object.fromEntries([[c.environmentTag, c.environment], ...c.include]);
    let volumes: Awaited<ReturnType<Ec2Port["listVolumes"]>>;
    try {
      // Filters run server-side; near-miss mode widens them to explain what was left out.
      volumes = nearMisses
        ? dedupe([...(await ec2.listVolumes({ tags: { [c.environmentTag]: c.environment } })), ...(await ec2.listVolumes({ states: ["available"] }))])
        : await ec2.listVolumes({ states: ["available"], tags });
    } catch (e) {
      throw remoteFailure("EC2", endpoint, e);
    }
    ctx.log.debug(`discovered ${volumes.length} volume(s) in ${ctx.scope.region}`);
    const checks: Check[] = [];
    if (ctx.scope.account) checks.push(await accountCheck(ctx));
    return { ...selectVolumes(volumes, c, nearMisses), checks };
  },

  async validate(plan, ctx) {
    const ec2 = await client(ctx);
    const actions: Record<string, Check[]> = {};
    try {
      await mapLimit(plan.actions, VALIDATION_CONCURRENCY, async (a) => {
        const del = await ec2.checkDeleteVolume(a.resource.id);
        const list: Check[] = [
          {
            name: "ec2:DeleteVolume DryRun",
            status: del.ok ? "passed" : "failed",
            detail: del.ok ? "DryRunOperation: the call would succeed" : `${del.code}: ${a.resource.id}: ${del.message}`,
          },
        ];
        // From the plan, not today's config: a saved plan is validated as it was made.
        if (a.steps?.some((s) => s.operation === "CreateSnapshot")) {
          const snap = await ec2.checkCreateSnapshot(a.resource.id);
          list.push({
            name: "ec2:CreateSnapshot DryRun",
            status: snap.ok ? "passed" : "failed",
            detail: snap.ok ? "DryRunOperation: the call would succeed" : `${snap.code}: ${a.resource.id}: ${snap.message}`,
          });
        }
        actions[a.id] = list;
      });
    } catch (e) {
      throw remoteFailure("EC2", ctx.config.aws.endpoint, e);
    }
    return { actions };
  },

  async live(action, ctx) {
    const v = await (await client(ctx)).getVolume(action.resource.id);
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
  const sts = await ctx.provider("sts", awsOptions(ctx));
  let actual: string;
  try {
    actual = await sts.callerAccount();
  } catch (e) {
    throw remoteFailure("STS", ctx.config.aws.endpoint, e);
  }
  const ok = actual === ctx.scope.account;
  return {
    name: "account",
    status: ok ? "passed" : "failed",
    detail: ok ? `credentials belong to ${actual}` : `credentials belong to account ${actual}, not ${ctx.scope.account}`,
  };
}

function dedupe<T extends { id: string }>(items: T[]): T[] {
  return [...new Map(items.map((i) => [i.id, i])).values()];
}
