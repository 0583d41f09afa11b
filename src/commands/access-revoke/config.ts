import * as v from "valibot";
import { duration, type RunContext, type SectionOf } from "../../sdk/index.ts";

export const AccessRevokeSchema = v.strictObject({
  deleteAfter: v.optional(duration("A key disabled by access-revoke is deleted once it has been inactive this long")),
});

export const ACCESS_REVOKE_DEFAULTS = { deleteAfter: "30d" };

export type AccessRevokeContext = RunContext<SectionOf<typeof AccessRevokeSchema, typeof ACCESS_REVOKE_DEFAULTS>>;
