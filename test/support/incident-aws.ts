import { AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand } from "@aws-sdk/client-auto-scaling";
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateVolumeCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";

// Seeds moto with one service's evidence for collect-incident: tagged EC2 instances and
// volumes, an Auto Scaling group, and log groups with events inside and outside a window.

const creds = { accessKeyId: "testing", secretAccessKey: "testing" };

export interface AwsSeed {
  instanceId: string;
  otherInstanceId: string;
  volumeId: string;
  /** Log group → messages put inside / outside the window. */
  inside: Record<string, string[]>;
  outside: Record<string, string[]>;
}

export async function seedIncidentAws(url: string, o: { service: string; now: Date; canary?: string; bulkLines?: number }): Promise<AwsSeed> {
  const cfg = { endpoint: url, region: "us-east-1", credentials: creds };
  const ec2 = new EC2Client(cfg);
  const logs = new CloudWatchLogsClient(cfg);
  const asg = new AutoScalingClient(cfg);
  const tags = (svc: string) => [
    { Key: "Service", Value: svc },
    { Key: "Environment", Value: "staging" },
  ];
  const run = async (svc: string) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: "ami-12c6146b",
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [{ ResourceType: "instance", Tags: tags(svc) }],
        }),
      )
    ).Instances?.[0]?.InstanceId as string;
  const instanceId = await run(o.service);
  const otherInstanceId = await run("other");
  const volumeId = (
    await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8, TagSpecifications: [{ ResourceType: "volume", Tags: tags(o.service) }] }))
  ).VolumeId as string;
  await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: `${o.service}-lc`, ImageId: "ami-12c6146b", InstanceType: "t3.micro" }));
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: `${o.service}-asg`,
      LaunchConfigurationName: `${o.service}-lc`,
      MinSize: 0,
      MaxSize: 2,
      DesiredCapacity: 0,
      AvailabilityZones: ["us-east-1a"],
      Tags: [{ Key: "Service", Value: o.service, PropagateAtLaunch: true }],
    }),
  );

  const now = o.now.getTime();
  const inside: Record<string, string[]> = {};
  const outside: Record<string, string[]> = {};
  const groups = [`/app/${o.service}`, `/aws/ecs/${o.service}-worker`, "/app/other"];
  for (const g of groups) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: g }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: "s1" }));
    const before = [`${g} event before the window`];
    const within = [`${g} event inside the window`, `${g} request failed: upstream timeout`];
    if (o.canary && g === `/app/${o.service}`) within.push(`connecting with aws_secret_access_key=${o.canary}`);
    for (let i = 0; i < (o.bulkLines ?? 0); i++) within.push(`${g} bulk line ${i} ${"x".repeat(200)}`);
    const events = [
      ...before.map((message, i) => ({ message, timestamp: now - 3 * 3600_000 + i })),
      ...within.map((message, i) => ({ message, timestamp: now - 30 * 60_000 + i })),
    ];
    await logs.send(new PutLogEventsCommand({ logGroupName: g, logStreamName: "s1", logEvents: events }));
    inside[g] = within;
    outside[g] = before;
  }
  return { instanceId, otherInstanceId, volumeId, inside, outside };
}
