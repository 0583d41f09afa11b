import * as v from "valibot";
import { duration, secret } from "../../sdk/index.ts";
import { COLLECTOR_NAMES } from "./collect.ts";
import { parseSize, SIZE_FORM } from "./window.ts";

// The command's config section (`collectIncident:`): what to collect for a service.
// `{service}` in any string is replaced by --service.

/** Collector names (and the aliases k8s, kube, pg, host), one or several separated by commas. */
const NAME = "(kubernetes|k8s|kube|aws|postgres|pg|hosts|host)";
export const INCLUDE = new RegExp(`^\\s*${NAME}\\s*(,\\s*${NAME}\\s*)*$`);

const text = (d: string) => v.pipe(v.string(), v.minLength(1, "must not be empty"), v.description(d));

export const IncidentSection = v.strictObject({
  include: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(INCLUDE, `must name collectors: ${COLLECTOR_NAMES.join(", ")} (k8s for kubernetes), separated by commas`))),
      v.description("Collectors to run (--include)"),
    ),
  ),
  maxBytes: v.optional(
    v.pipe(
      v.string(),
      v.check((s) => parseSize(s) !== undefined, `must be a size: ${SIZE_FORM}`),
      v.description("Bound on all collected content (--max-bytes)"),
    ),
  ),
  logGroups: v.optional(v.pipe(v.array(text("pattern")), v.description("CloudWatch Logs group name patterns (* and ?, {service})"))),
  aws: v.optional(
    v.strictObject({
      tags: v.optional(v.pipe(v.record(v.string(), v.string()), v.description("Tags that mark the service's EC2 instances, volumes and Auto Scaling groups"))),
    }),
  ),
  kubernetes: v.optional(
    v.strictObject({
      kubeconfig: v.optional(text("Kubeconfig file (default: KUBECONFIG, ~/.kube/config, then the in-cluster service account)")),
      context: v.optional(text("Kubeconfig context (default: its current-context)")),
      namespace: v.optional(text("Namespace of the service (default: the context's, else default)")),
      labelSelector: v.optional(text("Selects the service's Deployments, ReplicaSets and Pods")),
      previousLogs: v.optional(v.pipe(v.boolean(), v.description("Also read the previous container's logs after a restart"))),
    }),
  ),
  postgres: v.optional(
    v.strictObject({
      dsn: v.optional(secret("PostgreSQL connection string of a read-only role (use env: or file:)")),
      longTransaction: v.optional(duration("Transactions open longer than this are listed as long")),
      statementTimeout: v.optional(duration("Per-query timeout")),
    }),
  ),
  hosts: v.optional(
    v.strictObject({
      files: v.optional(
        v.array(
          v.strictObject({
            path: text("Absolute path of a file on this host"),
            filter: v.optional(v.picklist(["time", "none"], "must be time or none")),
          }),
        ),
      ),
      commands: v.optional(
        v.array(
          v.strictObject({
            name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]+$/, "must be letters, digits, . _ -")),
            argv: v.pipe(v.array(v.string()), v.minLength(1, "must name the program")),
            timeout: v.optional(duration("How long the command may run")),
          }),
        ),
      ),
    }),
  ),
});

export type IncidentConfig = v.InferOutput<typeof IncidentSection>;

export const INCIDENT_DEFAULTS = {
  include: [...COLLECTOR_NAMES],
  maxBytes: "200M",
  logGroups: [] as string[],
  aws: { tags: { Service: "{service}" } },
  kubernetes: { labelSelector: "app={service}", previousLogs: true },
  postgres: { longTransaction: "5m", statementTimeout: "10s" },
  hosts: { files: [], commands: [] },
};
