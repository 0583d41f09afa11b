import * as v from "valibot";
import { duration, type RunContext, type SectionOf } from "../../sdk/index.ts";

export const DeploySchema = v.strictObject({
  kind: v.optional(
    v.pipe(
      v.picklist(["kubernetes", "ecs"], "must be one of kubernetes, ecs"),
      v.description("Where the service runs: Kubernetes Deployments or an ECS service"),
    ),
  ),
  wait: v.optional(duration("How long deploy waits for the rollout to finish (exit 4 past it)")),
  pollInterval: v.optional(duration("How often deploy re-reads the rollout status while waiting")),
  kubeconfig: v.optional(
    v.pipe(v.string(), v.minLength(1), v.description("Kubeconfig file (default: KUBECONFIG, ~/.kube/config, then the in-cluster service account)")),
  ),
  context: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Kubeconfig context (default: its current-context)"))),
  namespace: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a Kubernetes namespace name"),
      v.description("Namespace of the Deployments (default: the context's, else default)"),
    ),
  ),
  labelSelector: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Selects the service's Deployments; {service} is replaced by --service"))),
  cluster: v.optional(v.pipe(v.string(), v.minLength(1), v.description("ECS cluster name or ARN"))),
  service: v.optional(v.pipe(v.string(), v.minLength(1), v.description("ECS service name; {service} is replaced by --service"))),
  container: v.optional(
    v.pipe(v.string(), v.minLength(1), v.description("Container to update (default: the one whose image repository matches, or the only one)")),
  ),
});

export const DEPLOY_DEFAULTS = { wait: "10m", pollInterval: "2s", labelSelector: "app={service}", service: "{service}" };

export const DEPLOY_CONFIG = { key: "deploy", schema: DeploySchema, defaults: DEPLOY_DEFAULTS };

export type DeployContext = RunContext<SectionOf<typeof DeploySchema, typeof DEPLOY_DEFAULTS>>;
