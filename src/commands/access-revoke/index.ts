import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { IamPort } from "../../providers/aws/iam.ts";
import {
  awsOptions,
  type Check,
  callerAccount,
  defineCommand,
  type Problem,
  parseDuration,
  perRun,
  type RunContext,
  remoteFailure,
  usageError,
  validationError,
} from "../../sdk/index.ts";
import { checkAgainst, type DecisionsFile, readDecisions } from "../access-review/decisions.ts";
import { IAM_READ_PERMISSIONS } from "../access-review/index.ts";
import type { PopUser } from "../access-review/population.ts";
import { ACCESS_REVOKE_DEFAULTS, type AccessRevokeContext, AccessRevokeSchema } from "./config.ts";
import { type LiveUser, QUARANTINE_TAG, quarantineTag, selectRevocations } from "./select.ts";

// IAM is global: without a region in scope the client signs for us-east-1.
const iamOpts = (ctx: RunContext) => ({ ...awsOptions(ctx), region: ctx.scope.region ?? "us-east-1" });
const iamOf = perRun((ctx: RunContext): Promise<IamPort> => ctx.provider("iam", iamOpts(ctx)));

export const accessRevoke = defineCommand({
  name: "access-revoke",
  description: "Revoke what an access review decided: disable keys, delete them after a quarantine, remove console passwords; never users",
  version: "1.0.0",
  config: { key: "accessRevoke", schema: AccessRevokeSchema, defaults: ACCESS_REVOKE_DEFAULTS },
  providers: ["sts", "iam"],
  flags: [
    {
      name: "decisions",
      kind: "string",
      required: true,
      valueName: "FILE",
      description: "The reviewed access-review CSV (or JSON) with decision and justification filled in",
    },
    {
      name: "delete-after",
      kind: "duration",
      configKey: "accessRevoke.deleteAfter",
      valueName: "DURATION",
      description: "Delete a key disabled by an earlier revoke once it has been inactive this long (default 30d)",
    },
  ],
  permissions: [
    ...IAM_READ_PERMISSIONS.filter((p) => !p.includes("CredentialReport")),
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
    "iam:DeleteLoginProfile",
    "iam:TagUser",
  ],
  scope: { region: false },

  parameters(ctx) {
    return { decisions: String(ctx.flags.decisions), deleteAfter: ctx.section.deleteAfter };
  },

  async plan(ctx) {
    const name = String(ctx.flags.decisions);
    const file = loadDecisions(ctx, name);
    const endpoint = ctx.config.aws.endpoint;
    const account = await callerAccount(ctx);
    let live: Map<string, LiveUser>;
    try {
      live = await readLive(await iamOf(ctx), file);
    } catch (e) {
      throw remoteFailure("IAM", endpoint, e);
    }
    const population = { account, users: [...live.values()].map(asPopUser) };
    raise(checkAgainst(file, population, name));
    const checks: Check[] = [
      { name: "account", status: "passed", detail: `credentials belong to ${account}, the reviewed account` },
      { name: "population", status: "passed", detail: `users and keys unchanged since the review of ${file.asOf} (${file.populationDigest})` },
      {
        name: "iam:no-dry-run",
        status: "passed",
        detail: "IAM has no DryRun: validation is the account check and the live re-read of every key and password (status, last use) before each change",
      },
    ];
    if (ctx.scope.account && ctx.scope.account !== account) {
      checks[0] = { name: "account", status: "failed", detail: `credentials belong to account ${account}, not ${ctx.scope.account}` };
    }
    const deleteAfter = ctx.section.deleteAfter;
    return {
      ...selectRevocations(file, live, {
        now: ctx.deps.now(),
        deleteAfter: { ms: parseDuration(deleteAfter) as number, text: deleteAfter },
        decisionsFile: name,
      }),
      checks,
    };
  },

  async live(action, ctx) {
    const iam = await iamOf(ctx);
    const user = String(action.resource.attributes.user ?? action.resource.name);
    const asOf = String(action.reason.evidence.reviewAsOf);
    if (action.resource.type === "aws.iam.login-profile") {
      const p = await iam.loginProfile(user);
      if (!p) return undefined;
      const used = (await iam.listUsers()).find((u) => u.name === user)?.passwordLastUsed;
      return { created: p.createDate.toISOString(), lastUsedAfterReview: used && used > new Date(asOf) ? used.toISOString() : null };
    }
    const k = (await iam.listAccessKeys(user))?.find((x) => x.id === action.resource.id);
    if (!k) return undefined;
    const used = (await iam.accessKeyLastUsed(k.id))?.lastUsed;
    const tags = await iam.listUserTags(user);
    return {
      status: k.status,
      lastUsedAfterReview: used && used > new Date(asOf) ? used.toISOString() : null,
      ...Object.fromEntries(Object.entries(tags).map(([t, v]) => [`tags.${t}`, v])),
    };
  },

  apply: {
    async disable(action, ctx) {
      const iam = await iamOf(ctx);
      const user = String(action.resource.attributes.user);
      const r = await iam.updateAccessKey(user, action.resource.id, "Inactive");
      if (r === "not-found") return { status: "already-done", detail: "the key is gone" };
      // After the disable, never before: the quarantine must not start before the key is off.
      const at = ctx.deps.now().toISOString();
      await iam.tagUser(user, { [quarantineTag(action.resource.id)]: at });
      return { status: "applied", detail: `disabled; quarantine from ${at}`, outputs: { accessKeyId: action.resource.id, disabledAt: at } };
    },
    async delete(action, ctx) {
      const iam = await iamOf(ctx);
      const user = String(action.resource.attributes.user);
      if (action.resource.type === "aws.iam.login-profile") {
        const r = await iam.deleteLoginProfile(user);
        return r === "deleted" ? { status: "applied", detail: "console password removed" } : { status: "already-done", detail: "no console password" };
      }
      const r = await iam.deleteAccessKey(user, action.resource.id);
      return r === "deleted"
        ? { status: "applied", detail: "key deleted", outputs: { accessKeyId: action.resource.id } }
        : { status: "already-done", detail: "already gone" };
    },
  },
});

function loadDecisions(ctx: AccessRevokeContext, name: string): DecisionsFile {
  let text: string;
  try {
    text = readFileSync(resolve(ctx.deps.cwd, name), "utf8");
  } catch (e) {
    throw usageError([
      { message: `cannot read decisions file ${name} (${(e as NodeJS.ErrnoException).code ?? "error"})`, source: { kind: "flag", name: "--decisions" } },
    ]);
  }
  const { file, problems } = readDecisions(text, name);
  raise(problems);
  return file as DecisionsFile;
}

/** Usage problems (exit 2) first: a file naming what the review did not contain is the operator's mistake. */
function raise(problems: { kind: "usage" | "validation"; message: string }[]): void {
  const usage: Problem[] = problems.filter((p) => p.kind === "usage").map((p) => ({ message: p.message }));
  if (usage.length) throw usageError(usage);
  const invalid = problems.filter((p) => p.kind === "validation").map((p) => ({ message: p.message }));
  if (invalid.length) throw validationError(invalid, "Nothing was changed.");
}

/** Every user with keys and console password (for the population digest); last use and tags for the users decisions name. */
async function readLive(iam: IamPort, file: DecisionsFile): Promise<Map<string, LiveUser>> {
  const named = new Set(file.rows.filter((r) => r.decision === "revoke").map((r) => r.user));
  const out = new Map<string, LiveUser>();
  for (const u of (await iam.listUsers()).sort((a, b) => a.name.localeCompare(b.name))) {
    const keys = (await iam.listAccessKeys(u.name)) ?? [];
    const login = await iam.loginProfile(u.name);
    const detail = named.has(u.name);
    const lk: LiveUser["keys"] = [];
    for (const k of keys.sort((a, b) => a.id.localeCompare(b.id))) {
      const used = detail ? await iam.accessKeyLastUsed(k.id) : undefined;
      lk.push({
        id: k.id,
        status: k.status,
        created: k.createDate.toISOString(),
        ...(used?.lastUsed ? { lastUsed: used.lastUsed.toISOString() } : {}),
        ...(used?.service ? { lastUsedService: used.service } : {}),
        ...(used?.region ? { lastUsedRegion: used.region } : {}),
      });
    }
    const tags = detail ? await iam.listUserTags(u.name) : {};
    out.set(u.name, {
      name: u.name,
      keys: lk,
      ...(login
        ? { password: { created: login.createDate.toISOString(), ...(u.passwordLastUsed ? { lastUsed: u.passwordLastUsed.toISOString() } : {}) } }
        : {}),
      tags: Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith(QUARANTINE_TAG))),
    });
  }
  return out;
}

function asPopUser(u: LiveUser): PopUser {
  return {
    name: u.name,
    id: "",
    arn: "",
    created: "",
    mfaDevices: [],
    groups: [],
    managedPolicies: [],
    inlinePolicies: [],
    tags: {},
    keys: u.keys,
    inReport: true,
    ...(u.password ? { password: u.password } : {}),
  };
}
