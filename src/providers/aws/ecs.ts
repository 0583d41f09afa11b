import { awsErrorInfo } from "./errors.ts";
import { type AwsClientOptions, awsClient } from "./options.ts";

export interface EcsService {
  arn: string;
  name: string;
  clusterArn: string;
  status: string;
  desiredCount: number;
  runningCount: number;
  taskDefinition: string;
  deployments: { status: string; rolloutState?: string; rolloutStateReason?: string; runningCount: number; desiredCount: number }[];
}

export interface TaskDefinition {
  arn: string;
  family: string;
  revision: number;
  containers: { name: string; image: string }[];
  /** The whole definition as DescribeTaskDefinition returned it, to re-register with only images changed. */
  raw: Record<string, unknown>;
}

export interface EcsPort {
  describeService(cluster: string, service: string): Promise<EcsService | undefined>;
  describeTaskDefinition(ref: string): Promise<TaskDefinition | undefined>;
  /** A new revision of `from`'s family: every field copied, only the named containers' images changed. */
  registerRevision(from: TaskDefinition, images: Record<string, string>): Promise<TaskDefinition>;
  updateService(cluster: string, service: string, taskDefinitionArn: string): Promise<EcsService>;
}

// Fields RegisterTaskDefinition accepts; the read-only ones DescribeTaskDefinition adds
// (status, revision, compatibilities, registeredAt …) must not be sent back.
const REGISTRABLE = [
  "family",
  "taskRoleArn",
  "executionRoleArn",
  "networkMode",
  "containerDefinitions",
  "volumes",
  "placementConstraints",
  "requiresCompatibilities",
  "cpu",
  "memory",
  "pidMode",
  "ipcMode",
  "proxyConfiguration",
  "inferenceAccelerators",
  "ephemeralStorage",
  "runtimePlatform",
] as const;

const NOT_FOUND = new Set(["ServiceNotFoundException", "ClusterNotFoundException"]);

export async function createEcs(opts: AwsClientOptions): Promise<EcsPort> {
  const { ECSClient, DescribeServicesCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } = await import(
    "@aws-sdk/client-ecs"
  );
  const client = awsClient(ECSClient, "ecs", opts);
  return {
    async describeService(cluster, service) {
      try {
        const r = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
        const s = r.services?.[0];
        return s ? toService(s) : undefined;
      } catch (e) {
        if (NOT_FOUND.has(awsErrorInfo(e).code)) return undefined;
        throw e;
      }
    },
    async describeTaskDefinition(ref) {
      try {
        const r = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
        return r.taskDefinition ? toTaskDefinition(r.taskDefinition as Record<string, unknown>) : undefined;
      } catch (e) {
        // AWS answers an unknown revision with ClientException; moto with its own name.
        const code = awsErrorInfo(e).code;
        if (code === "ClientException" || code === "TaskDefinitionNotFoundException" || code === "InvalidParameterException") return undefined;
        throw e;
      }
    },
    async registerRevision(from, images) {
      const input: Record<string, unknown> = {};
      for (const k of REGISTRABLE) if (from.raw[k] !== undefined) input[k] = from.raw[k];
      input.containerDefinitions = ((from.raw.containerDefinitions ?? []) as { name: string; image: string }[]).map((c) =>
        images[c.name] ? { ...c, image: images[c.name] } : c,
      );
      // biome-ignore lint/suspicious/noExplicitAny: the input is the described definition, field for field
      const r = await client.send(new RegisterTaskDefinitionCommand(input as any));
      return toTaskDefinition(r.taskDefinition as Record<string, unknown>);
    },
    async updateService(cluster, service, taskDefinition) {
      const r = await client.send(new UpdateServiceCommand({ cluster, service, taskDefinition }));
      return toService(r.service ?? {});
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: SDK shapes, read with defaults
function toService(s: any): EcsService {
  return {
    arn: String(s.serviceArn ?? ""),
    name: String(s.serviceName ?? ""),
    clusterArn: String(s.clusterArn ?? ""),
    status: String(s.status ?? ""),
    desiredCount: Number(s.desiredCount ?? 0),
    runningCount: Number(s.runningCount ?? 0),
    taskDefinition: String(s.taskDefinition ?? ""),
    // biome-ignore lint/suspicious/noExplicitAny: as above
    deployments: (s.deployments ?? []).map((d: any) => ({
      status: String(d.status ?? ""),
      ...(d.rolloutState ? { rolloutState: String(d.rolloutState) } : {}),
      ...(d.rolloutStateReason ? { rolloutStateReason: String(d.rolloutStateReason) } : {}),
      runningCount: Number(d.runningCount ?? 0),
      desiredCount: Number(d.desiredCount ?? 0),
    })),
  };
}

function toTaskDefinition(t: Record<string, unknown>): TaskDefinition {
  return {
    arn: String(t.taskDefinitionArn ?? ""),
    family: String(t.family ?? ""),
    revision: Number(t.revision ?? 0),
    containers: ((t.containerDefinitions ?? []) as { name: string; image: string }[]).map((c) => ({ name: c.name, image: c.image })),
    raw: t,
  };
}
