// The EC2 client and the operations opsctl sends, by name. EC2's SDK package holds ~700
// operations and one 1.3 MB module of schemas for all of them; a namespace import
// (`await import("@aws-sdk/client-ec2")`) keeps every one in the bundle and builds them all
// when loaded. Importing named members here lets the bundler drop the rest, which is
// memory every EC2 run pays (docs/benchmarks.md). Providers load this module lazily.
export {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  waitUntilSnapshotCompleted,
} from "@aws-sdk/client-ec2";
