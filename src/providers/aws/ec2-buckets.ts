/**
 * AWS's published request-rate token buckets for the EC2 API, per account and region.
 *
 * Source: "Request throttling for the Amazon EC2 API", table "Request token bucket sizes
 * and refill rates" (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html,
 * read 2026-12). The same numbers are in docs/benchmarks.md and docs/api-budget.md. Accounts
 * can have raised limits (AWS Support); `aws.apiBudget.operations` overrides any of these.
 */
export interface BucketSpec {
  /** Bucket maximum capacity (tokens). */
  capacity: number;
  /** Bucket refill rate (tokens per second). */
  refillPerSecond: number;
}

/** Describe*, List*, Search*, Get* not in another category. */
export const EC2_NON_MUTATING: BucketSpec = { capacity: 100, refillPerSecond: 20 };
/** The same few Describe calls when made with neither a filter nor pagination: a smaller, separate bucket. */
export const EC2_UNFILTERED: BucketSpec = { capacity: 50, refillPerSecond: 10 };
/** Every mutating action that is not resource-intensive or uncategorized. */
export const EC2_MUTATING: BucketSpec = { capacity: 50, refillPerSecond: 5 };

/** "Unfiltered and unpaginated non-mutating actions" in AWS's table. */
export const EC2_UNFILTERED_ACTIONS = new Set([
  "DescribeInstances",
  "DescribeInstanceStatus",
  "DescribeNetworkInterfaces",
  "DescribeSecurityGroups",
  "DescribeSnapshots",
  "DescribeSpotInstanceRequests",
  "DescribeVolumes",
]);

export const EC2_RESOURCE_INTENSIVE: BucketSpec = { capacity: 50, refillPerSecond: 5 };

/** "Resource-intensive actions" (mutating, 50 / 5, throttled apart from the other mutating actions). */
const RESOURCE_INTENSIVE = [
  "AcceptVpcPeeringConnection",
  "AuthorizeSecurityGroupIngress",
  "CancelSpotInstanceRequests",
  "CreateKeyPair",
  "CreateVpcPeeringConnection",
  "DeleteVpcPeeringConnection",
  "RejectVpcPeeringConnection",
  "RevokeSecurityGroupIngress",
  "RequestSpotInstances",
];

/**
 * "Uncategorized actions" with their own bucket: the EBS and tagging calls opsctl makes
 * or is likely to make. (The full table has ~100 rows; an action missing here falls back
 * to its category, which is never larger than these.)
 */
export const EC2_UNCATEGORIZED: Record<string, BucketSpec> = {
  AssignPrivateIpAddresses: { capacity: 100, refillPerSecond: 5 },
  AssociateIamInstanceProfile: { capacity: 100, refillPerSecond: 5 },
  CopyImage: { capacity: 100, refillPerSecond: 1 },
  CreateLaunchTemplateVersion: { capacity: 100, refillPerSecond: 5 },
  CreateNetworkInterface: { capacity: 100, refillPerSecond: 5 },
  CreateSnapshot: { capacity: 100, refillPerSecond: 5 },
  CreateSnapshots: { capacity: 100, refillPerSecond: 5 },
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  CreateVolume: { capacity: 100, refillPerSecond: 5 },
  DeleteNetworkInterface: { capacity: 100, refillPerSecond: 5 },
  DeleteSnapshot: { capacity: 100, refillPerSecond: 5 },
  DeleteTags: { capacity: 100, refillPerSecond: 10 },
  DeleteVolume: { capacity: 100, refillPerSecond: 5 },
  DeregisterImage: { capacity: 100, refillPerSecond: 5 },
  ModifyImageAttribute: { capacity: 100, refillPerSecond: 5 },
  ModifyNetworkInterfaceAttribute: { capacity: 100, refillPerSecond: 5 },
  ModifySnapshotAttribute: { capacity: 100, refillPerSecond: 5 },
};

const NON_MUTATING = /^(Describe|List|Search|Get)/;

/**
 * The bucket AWS charges an EC2 call to. `filteredOrPaged` says whether the request names
 * a filter, ids or pagination (MaxResults/NextToken): without them, the listed Describe
 * calls draw from the smaller unfiltered bucket, which is a separate bucket (its own key).
 */
export function ec2Bucket(operation: string, filteredOrPaged: boolean): { key: string; spec: BucketSpec } {
  const own = EC2_UNCATEGORIZED[operation];
  if (own) return { key: operation, spec: own };
  if (EC2_UNFILTERED_ACTIONS.has(operation) && !filteredOrPaged) return { key: `${operation} (unfiltered)`, spec: EC2_UNFILTERED };
  if (NON_MUTATING.test(operation)) return { key: operation, spec: EC2_NON_MUTATING };
  // Mutating and resource-intensive actions have the same numbers; every API has its own bucket.
  return { key: operation, spec: RESOURCE_INTENSIVE.includes(operation) ? EC2_RESOURCE_INTENSIVE : EC2_MUTATING };
}

/** Whether an EC2 request (the SDK command's input) avoids the unfiltered bucket. */
export function isFilteredOrPaged(input: unknown): boolean {
  const i = (input ?? {}) as Record<string, unknown>;
  const nonEmpty = (k: string) => Array.isArray(i[k]) && (i[k] as unknown[]).length > 0;
  // Ids narrow the request but AWS's text names only filters and pagination: ids alone are
  // charged to the smaller bucket here, the conservative reading.
  return nonEmpty("Filters") || i.MaxResults !== undefined || i.NextToken !== undefined;
}
