import type { PlannableCommand } from "../../core/command.ts";
import { deploy } from "../deploy/index.ts";

/**
 * `deploy` with the dry run forced: the same flags, discovery and control-plane
 * validation, and it never mutates (so never needs --yes). It keeps the name
 * `deploy` in plans and results, so `opsctl apply FILE` applies a plan it saved
 * through `deploy`, under deploy's lock.
 */
export const deployPlan: PlannableCommand = {
  ...deploy,
  description: "Plan a deploy and validate it with the control plane (server-side dry run); never changes anything",
  dryRunOnly: true,
};
