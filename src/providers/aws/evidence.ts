import { type AwsClientOptions, awsClient } from "./options.ts";

// Read-only AWS calls for evidence collection. Items are returned as the API gave them
// (the bundle is evidence, not a summary) together with each response's request id, so a
// reviewer can match a file to CloudTrail or an AWS support case.

export interface Page<T> {
  items: T[];
  next?: string;
  requestId?: string;
}

export interface LogGroupInfo {
  name: string;
  storedBytes: number;
}

export interface AwsEvidencePort {
  /** One page of EC2 instances carrying all the given tags. */
  instances(tags: Record<string, string>, next?: string, max?: number): Promise<Page<Record<string, unknown>>>;
  volumes(tags: Record<string, string>, next?: string, max?: number): Promise<Page<Record<string, unknown>>>;
  logGroups(prefix: string, next?: string): Promise<Page<LogGroupInfo>>;
  /** Events of one log group between two times (ms), oldest first within a page. */
  logEvents(
    group: string,
    startMs: number,
    endMs: number,
    next?: string,
    limit?: number,
  ): Promise<Page<{ timestamp: number; message: string; logStreamName?: string }>>;
  autoScalingGroups(tags: Record<string, string>, next?: string): Promise<Page<Record<string, unknown>>>;
  /** Newest first, as the API returns them. */
  scalingActivities(group: string, next?: string, max?: number): Promise<Page<Record<string, unknown>>>;
  callerIdentity(): Promise<{ arn: string; account: string; requestId?: string }>;
}

export async function createAwsEvidence(opts: AwsClientOptions): Promise<AwsEvidencePort> {
  // Each SDK is loaded the first time its service is read: a run limited to EC2 never parses the Logs client.
  const ec2 = lazy(async () => {
    const sdk = await import("./sdk/ec2.ts");
    return { sdk, client: awsClient(sdk.EC2Client, "ec2", opts) };
  });
  const logs = lazy(async () => {
    const sdk = await import("@aws-sdk/client-cloudwatch-logs");
    return { sdk, client: awsClient(sdk.CloudWatchLogsClient, "logs", opts) };
  });
  const asg = lazy(async () => {
    const sdk = await import("@aws-sdk/client-auto-scaling");
    return { sdk, client: awsClient(sdk.AutoScalingClient, "autoscaling", opts) };
  });
  const sts = lazy(async () => {
    const sdk = await import("@aws-sdk/client-sts");
    return { sdk, client: awsClient(sdk.STSClient, "sts", opts) };
  });
  const tagFilters = (tags: Record<string, string>) => Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));

  return {
    async instances(tags, next, max) {
      const { sdk, client } = await ec2();
      const r = await client.send(new sdk.DescribeInstancesCommand({ Filters: tagFilters(tags), NextToken: next, MaxResults: max }));
      const items = (r.Reservations ?? []).flatMap((res) => (res.Instances ?? []).map((i) => ({ ...i, ReservationId: res.ReservationId })));
      return page(items, r.NextToken, r.$metadata.requestId);
    },
    async volumes(tags, next, max) {
      const { sdk, client } = await ec2();
      const r = await client.send(new sdk.DescribeVolumesCommand({ Filters: tagFilters(tags), NextToken: next, MaxResults: max }));
      return page(r.Volumes ?? [], r.NextToken, r.$metadata.requestId);
    },
    async logGroups(prefix, next) {
      const { sdk, client } = await logs();
      const r = await client.send(new sdk.DescribeLogGroupsCommand({ ...(prefix ? { logGroupNamePrefix: prefix } : {}), nextToken: next }));
      const items = (r.logGroups ?? []).map((g) => ({ name: g.logGroupName ?? "", storedBytes: Number(g.storedBytes ?? 0) }));
      return page(items, r.nextToken, r.$metadata.requestId);
    },
    async logEvents(group, startMs, endMs, next, limit) {
      const { sdk, client } = await logs();
      const r = await client.send(
        new sdk.FilterLogEventsCommand({ logGroupName: group, startTime: startMs, endTime: endMs, nextToken: next, ...(limit ? { limit } : {}) }),
      );
      const items = (r.events ?? []).map((e) => ({ timestamp: Number(e.timestamp ?? 0), message: String(e.message ?? ""), logStreamName: e.logStreamName }));
      return page(items, r.nextToken, r.$metadata.requestId);
    },
    async autoScalingGroups(tags, next) {
      const { sdk, client } = await asg();
      const r = await client.send(new sdk.DescribeAutoScalingGroupsCommand({ Filters: tagFilters(tags), NextToken: next }));
      return page(r.AutoScalingGroups ?? [], r.NextToken, r.$metadata.requestId);
    },
    async scalingActivities(group, next, max) {
      const { sdk, client } = await asg();
      const r = await client.send(new sdk.DescribeScalingActivitiesCommand({ AutoScalingGroupName: group, NextToken: next, MaxRecords: max }));
      return page(r.Activities ?? [], r.NextToken, r.$metadata.requestId);
    },
    async callerIdentity() {
      const { sdk, client } = await sts();
      const r = await client.send(new sdk.GetCallerIdentityCommand({}));
      return { arn: r.Arn ?? "", account: r.Account ?? "", requestId: r.$metadata.requestId };
    },
  };
}

function page<T>(items: readonly unknown[], next: string | undefined, requestId: string | undefined): Page<T> {
  return { items: items as T[], ...(next ? { next } : {}), ...(requestId ? { requestId } : {}) };
}

function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= make();
    return p;
  };
}
