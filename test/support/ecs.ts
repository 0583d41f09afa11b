import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";

/** Seeds and reads ECS state in the real moto server. */
export class MotoEcs {
  readonly ecs: ECSClient;
  constructor(url: string) {
    this.ecs = new ECSClient({ endpoint: url, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  }

  /** A cluster, a task definition with an app and a sidecar container, and a service; `running` makes it steady. */
  async seed(o: { cluster: string; service: string; image: string; desired?: number; running?: boolean }): Promise<string> {
    await this.ecs.send(new CreateClusterCommand({ clusterName: o.cluster }));
    const td = await this.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: o.service,
        networkMode: "bridge",
        taskRoleArn: "arn:aws:iam::123456789012:role/billing-task",
        containerDefinitions: [
          {
            name: "app",
            image: o.image,
            memory: 512,
            cpu: 256,
            essential: true,
            environment: [{ name: "MODE", value: "prod" }],
            portMappings: [{ containerPort: 8080 }],
          },
          { name: "log-router", image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32", memory: 64, essential: false },
        ],
      }),
    );
    const arn = td.taskDefinition?.taskDefinitionArn as string;
    const desired = o.desired ?? 2;
    await this.ecs.send(new CreateServiceCommand({ cluster: o.cluster, serviceName: o.service, taskDefinition: arn, desiredCount: desired }));
    // moto reports tasks running only after a desiredCount update; until then the deployment stays IN_PROGRESS.
    if (o.running !== false) await this.ecs.send(new UpdateServiceCommand({ cluster: o.cluster, service: o.service, desiredCount: desired }));
    return arn;
  }

  async service(cluster: string, service: string) {
    const r = await this.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    return r.services?.[0];
  }

  async taskDefinition(ref: string) {
    return (await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }))).taskDefinition;
  }

  async revisions(family: string): Promise<string[]> {
    return (await this.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family }))).taskDefinitionArns ?? [];
  }
}
