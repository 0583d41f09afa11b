import * as v from "valibot";
import { duration, type RunContext, type SectionOf, tagSelector } from "../../sdk/index.ts";

export const AccessReviewSchema = v.strictObject({
  staleAfter: v.optional(duration("An active key (or console password) unused for longer than this is a finding")),
  newKeyGrace: v.optional(duration("Keys and passwords younger than this are never findings")),
  rotateAfter: v.optional(duration("An active key older than this is a finding (rotation age)")),
  reportTimeout: v.optional(duration("How long to wait for IAM to generate the credential report")),
  exemptUsers: v.optional(v.pipe(v.array(v.string()), v.description("IAM user names never reported as findings (listed as exclusions)"))),
  exemptTags: v.optional(v.pipe(v.array(tagSelector), v.description("Users with any of these tags are excluded (listed with the tag)"))),
});

export const ACCESS_REVIEW_DEFAULTS = {
  staleAfter: "90d",
  newKeyGrace: "7d",
  rotateAfter: "365d",
  reportTimeout: "2m",
  exemptUsers: [] as string[],
  exemptTags: ["opsctl:access-review=exempt"],
};

export type AccessReviewContext = RunContext<SectionOf<typeof AccessReviewSchema, typeof ACCESS_REVIEW_DEFAULTS>>;
