import * as v from "valibot";

/**
 * A secret: a literal, or a reference `env:NAME` / `file:/path` resolved only when used.
 * Its own module so schemas outside src/config (targets) can mark fields without a cycle.
 */
export const secret = (description: string) =>
  v.pipe(v.string(), v.minLength(1, "must not be empty"), v.metadata({ secret: true }), v.description(description));
