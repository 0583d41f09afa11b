import * as v from "valibot";
import { duration, type RunContext, type SectionOf, tagSelector } from "../../sdk/index.ts";

export const CleanupVolumesSchema = v.strictObject({
  olderThan: v.optional(duration("Only volumes available for longer than this")),
  environmentTag: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Tag key that holds the environment name"))),
  protectTag: v.optional(v.pipe(tagSelector, v.description("Volumes with this tag are never deleted"))),
  snapshotFirst: v.optional(v.pipe(v.boolean(), v.description("Snapshot each volume before deleting it"))),
  includeTags: v.optional(v.array(tagSelector)),
  excludeTags: v.optional(v.array(tagSelector)),
});

export const CLEANUP_VOLUMES_DEFAULTS = {
  olderThan: "30d",
  environmentTag: "Environment",
  protectTag: "opsctl:protect=true",
  snapshotFirst: false,
  includeTags: [] as string[],
  excludeTags: [] as string[],
};

export type CleanupContext = RunContext<SectionOf<typeof CleanupVolumesSchema, typeof CLEANUP_VOLUMES_DEFAULTS>>;
