import { type Action, defineCommand, type Plan } from "../../sdk/index.ts";
import { DEPLOY_CONFIG, type DeployContext } from "./config.ts";
import { applyEcs, ECS_SERVICE_TYPE, ecsParameters, liveEcs, planEcs, validateEcs } from "./ecs.ts";
import { deployInput } from "./input.ts";
import { applyKubernetes, kubeParameters, liveKubernetes, planKubernetes, validateKubernetes } from "./kubernetes.ts";

/**
 * Rolls one service to a new image on its environment's target (Kubernetes Deployments
 * or an ECS service). Planning is per target kind; a saved plan is applied by the kind
 * its actions were made for, so a config change cannot redirect it.
 */
export const deploy = defineCommand({
  name: "deploy",
  description: "Roll a service to a new image (Kubernetes Deployments or an ECS service), validated by the control plane first",
  version: "1.0.0",
  config: DEPLOY_CONFIG,
  providers: ["kubeApps", "ecs"],
  flags: [
    { name: "service", kind: "string", required: true, valueName: "NAME", description: "Service to deploy (selects its Deployments or ECS service)" },
    { name: "image", kind: "string", required: true, valueName: "IMAGE", description: "New image reference, e.g. registry.example/billing:1.42" },
    {
      name: "wait",
      kind: "duration",
      configKey: "deploy.wait",
      valueName: "DURATION",
      description: "Wait this long for the rollout to finish (default 10m); exit 4 past it",
    },
    { name: "no-wait", kind: "boolean", description: "Do not wait for the rollout after the change is accepted" },
    {
      name: "kubeconfig",
      kind: "string",
      configKey: "deploy.kubeconfig",
      valueName: "FILE",
      description: "Kubeconfig file (default KUBECONFIG, ~/.kube/config, in-cluster)",
    },
    {
      name: "context",
      kind: "string",
      configKey: "deploy.context",
      valueName: "NAME",
      description: "Kubeconfig context (default from config, else current-context)",
    },
    {
      name: "namespace",
      kind: "string",
      configKey: "deploy.namespace",
      valueName: "NS",
      description: "Namespace of the Deployments (default from config or context)",
    },
  ],
  permissions: [
    "kubernetes:apps/deployments:list",
    "kubernetes:apps/deployments:get",
    "kubernetes:apps/deployments:patch",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:RegisterTaskDefinition",
    "ecs:UpdateService",
    "iam:PassRole",
  ],

  // ECS lives in an AWS region; a Kubernetes cluster is found through its kubeconfig.
  scope: { region: (section) => section.kind === "ecs" },

  parameters(ctx) {
    const input = deployInput(ctx);
    const kind = ctx.section.kind;
    return {
      service: input.service,
      image: input.image,
      kind,
      wait: input.waitText,
      ...(kind === "ecs" ? ecsParameters(ctx, input) : kubeParameters(ctx, input)),
    };
  },

  async plan(ctx) {
    const input = deployInput(ctx);
    return ctx.section.kind === "ecs" ? planEcs(ctx, input) : planKubernetes(ctx, input);
  },

  async validate(plan, ctx) {
    return isEcs(plan.actions) ? validateEcs(plan, ctx) : validateKubernetes(plan, ctx);
  },

  async live(action, ctx) {
    return isEcs([action]) ? liveEcs(action, ctx) : liveKubernetes(action, ctx);
  },

  apply: {
    deploy: (action: Action, ctx: DeployContext) => (isEcs([action]) ? applyEcs(action, ctx) : applyKubernetes(action, ctx)),
  },
});

function isEcs(actions: Plan["actions"]): boolean {
  return actions[0]?.resource.type === ECS_SERVICE_TYPE;
}
