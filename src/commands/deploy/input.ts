import { usageError } from "../../core/errors.ts";
import type { DeployContext } from "./config.ts";
import { parseImage } from "./images.ts";

/** What the operator asked for, checked before anything is contacted. */
export interface DeployInput {
  service: string;
  image: string;
  /** The rollout wait as recorded in each action: a duration, or "none" for --no-wait. */
  waitText: string;
}

const SERVICE = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/;

export function deployInput(ctx: DeployContext): DeployInput {
  const service = String(ctx.flags.service ?? "");
  const image = String(ctx.flags.image ?? "");
  const problems = [];
  if (!SERVICE.test(service))
    problems.push({
      message: `--service: '${service}' is not a service name (lower-case letters, digits, - _ .)`,
      source: { kind: "flag" as const, name: "--service" },
    });
  if (!parseImage(image)) {
    problems.push({
      message: `--image: '${image}' is not an image reference (registry/path:tag or @sha256:…)`,
      source: { kind: "flag" as const, name: "--image" },
    });
  }
  if (ctx.flags["no-wait"] === true && ctx.flags.wait !== undefined) {
    problems.push({ message: "--wait and --no-wait contradict each other: give one", source: { kind: "flag" as const, name: "--no-wait" } });
  }
  if (!ctx.section.kind) {
    problems.push({
      message: `no deploy target for environment '${ctx.scope.environment}': set deploy.kind (kubernetes or ecs) or environments.${ctx.scope.environment}.deploy.kind`,
    });
  }
  if (ctx.section.kind === "ecs" && !ctx.section.cluster) {
    problems.push({ message: `deploy.kind is ecs but deploy.cluster is not set for environment '${ctx.scope.environment}'` });
  }
  if (problems.length) throw usageError(problems);
  return { service, image, waitText: ctx.flags["no-wait"] === true ? "none" : ctx.section.wait };
}
