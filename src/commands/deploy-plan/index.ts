import { planOnly } from "../../sdk/index.ts";
import { deploy } from "../deploy/index.ts";

/**
 * `deploy` with the dry run forced: the same flags, discovery and control-plane
 * validation, and it never mutates (so never needs --yes). It keeps the name
 * `deploy` in plans and results, so `opsctl apply FILE` applies a plan it saved
 * through `deploy`, under deploy's lock.
 */
export const deployPlan = planOnly(deploy, "Plan a deploy and validate it with the control plane (server-side dry run); never changes anything");
