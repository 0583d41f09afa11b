import { awsOptions, callerAccount, defineReport, describeSource, parseDuration, remoteFailure, validationError } from "../../sdk/index.ts";
import { ACCESS_REVIEW_DEFAULTS, type AccessReviewContext, AccessReviewSchema } from "./config.ts";
import { type DecisionRow, decisionRows } from "./decisions.ts";
import { gatherPopulation, type Population } from "./population.ts";
import { type Criteria, type Review, review } from "./review.ts";
import { renderReviewCsv, renderReviewText } from "./view.ts";

export interface AccessReviewResult extends Review {
  environment: string;
  version: string;
  /** The exact command line, for the auditor's record. */
  commandLine: string;
  criteria: { staleAfter: string; newKeyGrace: string; rotateAfter: string; exemptUsers: string[]; exemptTags: string[] };
  population: Population;
  /** The reviewer's worksheet (also --format csv); fill decision/justification and give it to access-revoke. */
  rows: DecisionRow[];
}

export const IAM_READ_PERMISSIONS = [
  "iam:GenerateCredentialReport",
  "iam:GetCredentialReport",
  "iam:ListUsers",
  "iam:ListAccessKeys",
  "iam:GetAccessKeyLastUsed",
  "iam:ListMFADevices",
  "iam:ListAttachedUserPolicies",
  "iam:ListUserPolicies",
  "iam:ListGroupsForUser",
  "iam:GetLoginProfile",
  "iam:ListUserTags",
  "sts:GetCallerIdentity",
];

export const accessReview = defineReport({
  name: "access-review",
  description: "Review IAM users' access keys and console passwords: the whole population, findings with evidence, a worksheet for decisions",
  version: "1.0.0",
  config: { key: "accessReview", schema: AccessReviewSchema, defaults: ACCESS_REVIEW_DEFAULTS },
  providers: ["sts", "iam"],
  formats: ["csv"],
  flags: [
    {
      name: "stale-after",
      kind: "duration",
      configKey: "accessReview.staleAfter",
      valueName: "DURATION",
      description: "A credential unused this long is a finding (default 90d)",
    },
    {
      name: "new-key-grace",
      kind: "duration",
      configKey: "accessReview.newKeyGrace",
      valueName: "DURATION",
      description: "Credentials younger than this are never findings (default 7d)",
    },
    {
      name: "rotate-after",
      kind: "duration",
      configKey: "accessReview.rotateAfter",
      valueName: "DURATION",
      description: "An active key older than this is a finding (default 365d)",
    },
  ],
  permissions: IAM_READ_PERMISSIONS,
  // IAM is global: a region is not needed to review an account.
  scope: { region: false },

  async run(ctx) {
    const c = ctx.section;
    const opts = { ...awsOptions(ctx), region: ctx.scope.region ?? "us-east-1" };
    const endpoint = ctx.config.aws.endpoint;
    const asOf = ctx.deps.now();
    const account = await callerAccount(ctx);
    if (ctx.scope.account && ctx.scope.account !== account) {
      throw validationError([{ message: `credentials belong to account ${account}, not ${ctx.scope.account}` }], "Nothing was read.");
    }
    let population: Population;
    try {
      const iam = await ctx.provider("iam", opts);
      population = await gatherPopulation(iam, { account, asOf, reportTimeoutMs: parseDuration(c.reportTimeout) ?? 120_000, signal: ctx.deps.signal });
    } catch (e) {
      throw remoteFailure("IAM", endpoint, e);
    }
    const criteria = criteriaOf(ctx);
    const r = review(population, criteria);
    const result: AccessReviewResult = {
      ...r,
      environment: ctx.scope.environment,
      version: ctx.deps.build.version,
      commandLine: commandLine(ctx),
      criteria: { staleAfter: c.staleAfter, newKeyGrace: c.newKeyGrace, rotateAfter: c.rotateAfter, exemptUsers: c.exemptUsers, exemptTags: c.exemptTags },
      population,
      rows: decisionRows(population, r),
    };
    return {
      result,
      findings: r.findings.length,
      render: { text: (x) => renderReviewText(x as AccessReviewResult), csv: (x) => renderReviewCsv(x as AccessReviewResult) },
    };
  },
});

function criteriaOf(ctx: AccessReviewContext): Criteria {
  const c = ctx.section;
  const dur = (text: string) => ({ ms: parseDuration(text) as number, text });
  const where = (key: string) => {
    const e = ctx.resolved.entries.find((x) => x.key === key);
    return `${key} (${!e ? "default" : e.source.kind === "file" ? e.source.name : describeSource(e.source)})`;
  };
  return {
    now: ctx.deps.now(),
    staleAfter: dur(c.staleAfter),
    newKeyGrace: dur(c.newKeyGrace),
    rotateAfter: dur(c.rotateAfter),
    exemptUsers: { names: c.exemptUsers, source: where("accessReview.exemptUsers") },
    exemptTags: {
      tags: c.exemptTags.map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)] as [string, string]),
      source: where("accessReview.exemptTags"),
    },
  };
}

/** The invocation as typed (flags only: values that are secrets never come from flags). */
function commandLine(ctx: AccessReviewContext): string {
  const parts = ["opsctl", "access-review"];
  for (const [k, v] of Object.entries(ctx.flags)) {
    if (v === undefined || v === false) continue;
    if (v === true) parts.push(`--${k}`);
    else
      for (const x of Array.isArray(v) ? v : [v])
        parts.push(`--${k}`, /^[\w@%+=:,./-]+$/.test(String(x)) ? String(x) : `'${String(x).replaceAll("'", "'\\''")}'`);
  }
  return parts.join(" ");
}
