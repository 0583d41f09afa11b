import * as v from "valibot";
import { DURATION_FORM, parseDuration } from "../core/duration.ts";

// One schema for every layer. Every layer is checked against the same strict object,
// so an unknown key or a wrong type is reported with the layer that set it.

/** A secret: a literal, or a reference `env:NAME` / `file:/path` resolved only when used. */
export const secret = (description: string) =>
  v.pipe(v.string(), v.minLength(1, "must not be empty"), v.metadata({ secret: true }), v.description(description));

const duration = (description: string) =>
  v.pipe(
    v.string(),
    v.check((s) => parseDuration(s) !== undefined, `must be a duration: ${DURATION_FORM}`),
    v.description(description),
  );

const positiveInt = (description: string) =>
  v.pipe(v.number("must be a number"), v.integer("must be a whole number"), v.minValue(0, "must be 0 or more"), v.description(description));

const tagSelector = v.pipe(v.string(), v.regex(/^[^=]+=.*$/, "must be a tag selector KEY=VALUE"));

const AwsSchema = v.strictObject({
  endpoint: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("Endpoint override, e.g. an emulator"))),
  profile: v.optional(v.pipe(v.string(), v.description("Shared config profile for the default credential chain"))),
  accessKeyId: v.optional(secret("Static access key id (prefer the default credential chain)")),
  secretAccessKey: v.optional(secret("Static secret access key")),
  sessionToken: v.optional(secret("Session token for temporary credentials")),
  maxAttempts: v.optional(positiveInt("Attempts per AWS call, retries included (SDK standard retry mode)")),
  requestTimeout: v.optional(duration("Timeout of one AWS HTTP request")),
});

const CleanupVolumesSchema = v.strictObject({
  olderThan: v.optional(duration("Only volumes available for longer than this")),
  environmentTag: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Tag key that holds the environment name"))),
  protectTag: v.optional(v.pipe(tagSelector, v.description("Volumes with this tag are never deleted"))),
  snapshotFirst: v.optional(v.pipe(v.boolean(), v.description("Snapshot each volume before deleting it"))),
  includeTags: v.optional(v.array(tagSelector)),
  excludeTags: v.optional(v.array(tagSelector)),
});

const DeploySchema = v.strictObject({
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

const HostTargetSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]+$/, "host target names use letters, digits, ., - and _")),
  certFile: v.pipe(v.string(), v.minLength(1), v.description("PEM certificate (full chain) the host serves")),
  keyFile: v.pipe(v.string(), v.minLength(1), v.description("PEM private key, written with mode 0600")),
  reload: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Shell command run after the new pair is in place, e.g. nginx -s reload"))),
  verifyUrl: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("https:// address whose served certificate must be the new one"))),
});

const RotateCertServiceSchema = v.strictObject({
  domains: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1, "needs at least one domain"), v.description("SANs the certificate must carry")),
  acm: v.optional(v.pipe(v.boolean(), v.description("Rotate ACM certificates tagged with the service and environment"))),
  hosts: v.optional(v.pipe(v.array(HostTargetSchema), v.description("PEM pairs on this host (bastions, VMs)"))),
});

const RotateCertSchema = v.strictObject({
  renewWithin: v.optional(duration("Renew certificates that expire within this long")),
  allowSanChange: v.optional(v.pipe(v.boolean(), v.description("Allow a new certificate that no longer covers every SAN of the old one"))),
  keyType: v.optional(
    v.pipe(
      v.picklist(["rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384"], "must be one of rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384"),
      v.description("Key of new certificates"),
    ),
  ),
  serviceTag: v.optional(v.pipe(v.string(), v.minLength(1), v.description("ACM tag key that holds the service name"))),
  environmentTag: v.optional(v.pipe(v.string(), v.minLength(1), v.description("ACM tag key that holds the environment name"))),
  acme: v.optional(
    v.strictObject({
      directoryUrl: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("ACME directory (Let's Encrypt staging/production, Pebble, step-ca)"))),
      accountKey: v.optional(secret("ACME account private key (PEM); use env: or file:")),
      email: v.optional(v.pipe(v.string(), v.email("must be an email address"), v.description("Account contact"))),
      caCert: v.optional(v.pipe(v.string(), v.description("PEM file of a CA trusted for the directory's TLS (private CAs)"))),
      trustRoots: v.optional(v.pipe(v.string(), v.description("PEM file of roots a new chain may end at, besides the system roots"))),
      timeout: v.optional(duration("Timeout of one ACME request")),
    }),
  ),
  dns: v.optional(
    v.strictObject({
      provider: v.optional(
        v.pipe(v.picklist(["powerdns", "route53"], "must be one of powerdns, route53"), v.description("DNS provider for dns-01 challenges")),
      ),
      zone: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Zone the _acme-challenge records go into"))),
      powerdns: v.optional(
        v.strictObject({
          apiUrl: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("PowerDNS HTTP API base URL"))),
          apiKey: v.optional(secret("PowerDNS API key")),
          serverId: v.optional(v.pipe(v.string(), v.minLength(1), v.description("PowerDNS server id"))),
        }),
      ),
      route53: v.optional(
        v.strictObject({
          hostedZoneId: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Hosted zone id (default: the public zone named rotateCert.dns.zone)"))),
        }),
      ),
    }),
  ),
  services: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, "service names use letters, digits, - and _")), RotateCertServiceSchema)),
});

const GuardrailsSchema = v.strictObject({
  maxDeletions: v.optional(positiveInt("Refuse plans that delete more than this many resources")),
  maxChanges: v.optional(positiveInt("Refuse plans with more than this many actions")),
});

const ExecutorSchema = v.strictObject({
  concurrency: v.optional(v.pipe(positiveInt("Actions applied at once"), v.minValue(1, "must be at least 1"))),
  grace: v.optional(duration("After an interrupt, how long in-flight calls may finish before opsctl stops waiting")),
});

const LockSchema = v.strictObject({
  backend: v.optional(
    v.pipe(
      v.picklist(["local", "postgres", "s3"], "must be one of local, postgres, s3"),
      v.description("Where apply locks (and a copy of the audit log) live"),
    ),
  ),
  timeout: v.optional(duration("How long to wait for a held lock before giving up (exit 4)")),
  postgres: v.optional(v.strictObject({ dsn: v.optional(secret("PostgreSQL connection string for advisory locks")) })),
  s3: v.optional(
    v.strictObject({
      bucket: v.optional(v.pipe(v.string(), v.minLength(3), v.description("Bucket for lock objects"))),
      prefix: v.optional(v.pipe(v.string(), v.description("Key prefix for lock and audit objects"))),
      lease: v.optional(duration("Lease of an S3 lock; renewed while the apply runs, taken over after it expires")),
    }),
  ),
});

/** Keys an environment block may override (everything but the layering controls). */
const overridable = {
  region: v.optional(v.pipe(v.string(), v.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be a region such as us-east-1"), v.description("Cloud region"))),
  account: v.optional(
    v.pipe(v.string(), v.regex(/^\d{12}$/, "must be a 12-digit AWS account id"), v.description("Expected cloud account; checked against the credentials")),
  ),
  aws: v.optional(AwsSchema),
  guardrails: v.optional(GuardrailsSchema),
  executor: v.optional(ExecutorSchema),
  lock: v.optional(LockSchema),
  cleanupVolumes: v.optional(CleanupVolumesSchema),
  deploy: v.optional(DeploySchema),
  rotateCert: v.optional(RotateCertSchema),
};

export const EnvironmentBlockSchema = v.strictObject(overridable);

export const ConfigSchema = v.strictObject({
  ...overridable,
  protectedEnvironments: v.optional(v.pipe(v.array(v.string()), v.description("Environments that need --yes (or typed confirmation) to apply"))),
  stateDir: v.optional(v.pipe(v.string(), v.description("Where locks and the audit log live"))),
  environments: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, "environment names use letters, digits, - and _")), EnvironmentBlockSchema)),
  locked: v.optional(v.pipe(v.array(v.string()), v.description("Keys that only the repository config may set (repository config only)"))),
});

export type ConfigInput = v.InferInput<typeof ConfigSchema>;

/** Built-in defaults: the lowest layer, shown as "default" by --show-config. */
export const DEFAULTS = {
  protectedEnvironments: ["prod", "production"],
  aws: { maxAttempts: 3, requestTimeout: "30s" },
  guardrails: { maxDeletions: 50 },
  executor: { concurrency: 4, grace: "10s" },
  lock: { backend: "local", timeout: "0s", s3: { prefix: "opsctl/", lease: "5m" } },
  cleanupVolumes: {
    olderThan: "30d",
    environmentTag: "Environment",
    protectTag: "opsctl:protect=true",
    snapshotFirst: false,
    includeTags: [] as string[],
    excludeTags: [] as string[],
  },
  deploy: { wait: "10m", pollInterval: "2s", labelSelector: "app={service}", service: "{service}" },
  rotateCert: {
    renewWithin: "30d",
    allowSanChange: false,
    keyType: "rsa-2048" as RotateCertKeyType,
    serviceTag: "Service",
    environmentTag: "Environment",
    acme: { timeout: "30s" },
    dns: { provider: "powerdns" as "powerdns" | "route53", powerdns: { serverId: "localhost" } },
  },
};

export type RotateCertKeyType = "rsa-2048" | "rsa-3072" | "rsa-4096" | "ec-p256" | "ec-p384";
export interface HostTarget {
  name: string;
  certFile: string;
  keyFile: string;
  reload?: string;
  verifyUrl?: string;
}

/** The resolved configuration every command reads (defaults applied). */
export interface Config {
  region?: string;
  account?: string;
  aws: {
    endpoint?: string;
    profile?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    sessionToken?: string;
    maxAttempts: number;
    requestTimeout: string;
  };
  guardrails: { maxDeletions: number; maxChanges?: number };
  executor: { concurrency: number; grace: string };
  lock: { backend: "local" | "postgres" | "s3"; timeout: string; postgres?: { dsn?: string }; s3: { bucket?: string; prefix: string; lease: string } };
  cleanupVolumes: typeof DEFAULTS.cleanupVolumes;
  deploy: {
    kind?: "kubernetes" | "ecs";
    wait: string;
    pollInterval: string;
    kubeconfig?: string;
    context?: string;
    namespace?: string;
    labelSelector: string;
    cluster?: string;
    service: string;
    container?: string;
  };
  rotateCert: {
    renewWithin: string;
    allowSanChange: boolean;
    keyType: RotateCertKeyType;
    serviceTag: string;
    environmentTag: string;
    acme: { directoryUrl?: string; accountKey?: string; email?: string; caCert?: string; trustRoots?: string; timeout: string };
    dns: {
      provider: "powerdns" | "route53";
      zone?: string;
      powerdns: { apiUrl?: string; apiKey?: string; serverId: string };
      route53?: { hostedZoneId?: string };
    };
    services?: Record<string, { domains: string[]; acm?: boolean; hosts?: HostTarget[] }>;
  };
  protectedEnvironments: string[];
  stateDir?: string;
  locked?: string[];
}
