/**
 * What IAM can see about an EBS volume when it decides DeleteVolume or CreateSnapshot:
 * the condition keys of the `volume` resource type. Two volumes with the same values for
 * all of them get the same answer from any identity or resource policy, SCP or
 * permissions boundary, so one DryRun per (operation, context) proves the rest.
 *
 * Source: Service Authorization Reference, "Actions, resources, and condition keys for
 * Amazon EC2", resource type `volume` and actions DeleteVolume / CreateSnapshot
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html):
 *
 *   aws:ResourceTag/${TagKey}, ec2:ResourceTag/${TagKey}  → every tag (key and value)
 *   ec2:AvailabilityZone, ec2:Region                      → availability zone (the region is the run's)
 *   ec2:Encrypted, ec2:KmsKeyId                            → encryption and its key
 *   ec2:VolumeType, ec2:VolumeSize, ec2:VolumeIops, ec2:VolumeThroughput
 *   ec2:ParentSnapshot                                     → the snapshot it was created from
 *
 * Deliberately not part of the context:
 *   - ec2:VolumeID and the volume's ARN: unique per volume. A policy that allows or denies
 *     single volumes by id is not covered; use `validation.mode: per-action` for that.
 *   - request and global keys (aws:PrincipalArn, aws:PrincipalTag, aws:SourceIp,
 *     aws:RequestedRegion, aws:MultiFactorAuthPresent, ...): the same for every call of
 *     one run (one principal, one host, one region).
 *   - aws:CurrentTime/aws:EpochTime: a policy that changes its answer with the clock can
 *     flip between the DryRun and the apply in either mode.
 */
export interface VolumeAttributes {
  availabilityZone?: unknown;
  encrypted?: unknown;
  kmsKeyId?: unknown;
  volumeType?: unknown;
  sizeGiB?: unknown;
  iops?: unknown;
  throughput?: unknown;
  snapshotId?: unknown;
  tags?: unknown;
}

/**
 * The context as condition key → value, in a stable order. `ignoreTags` are tag keys the
 * operator declares no policy conditions on (config validation.ignoreTags, e.g. Name).
 */
export function volumeAuthContext(a: VolumeAttributes, ignoreTags: readonly string[] = []): [string, string][] {
  const out: [string, string][] = [
    ["ec2:AvailabilityZone", String(a.availabilityZone ?? "")],
    ["ec2:Encrypted", String(Boolean(a.encrypted))],
    ["ec2:KmsKeyId", String(a.kmsKeyId ?? "")],
    ["ec2:ParentSnapshot", String(a.snapshotId ?? "")],
    ["ec2:VolumeIops", String(a.iops ?? "")],
    ["ec2:VolumeSize", String(a.sizeGiB ?? "")],
    ["ec2:VolumeThroughput", String(a.throughput ?? "")],
    ["ec2:VolumeType", String(a.volumeType ?? "")],
  ];
  const tags = (a.tags ?? {}) as Record<string, string>;
  for (const k of Object.keys(tags).sort()) if (!ignoreTags.includes(k)) out.push([`aws:ResourceTag/${k}`, String(tags[k])]);
  return out;
}

/** A key that is equal for two volumes exactly when IAM sees the same context for `operation`. */
export function authContextKey(operation: string, a: VolumeAttributes, ignoreTags: readonly string[] = []): string {
  return JSON.stringify([operation, volumeAuthContext(a, ignoreTags)]);
}

/** Short human description of a context, for the plan's checks. */
export function describeAuthContext(a: VolumeAttributes, ignoreTags: readonly string[] = []): string {
  const tags = Object.fromEntries(Object.entries((a.tags ?? {}) as Record<string, string>).filter(([k]) => !ignoreTags.includes(k)));
  const parts = [
    String(a.availabilityZone ?? "?"),
    a.encrypted ? `encrypted${a.kmsKeyId ? ` (${String(a.kmsKeyId)})` : ""}` : "unencrypted",
    `${String(a.volumeType ?? "?")} ${String(a.sizeGiB ?? "?")} GiB${a.iops !== undefined ? ` ${String(a.iops)} IOPS` : ""}${a.throughput !== undefined ? ` ${String(a.throughput)} MiB/s` : ""}`,
    ...(a.snapshotId ? [`from ${String(a.snapshotId)}`] : []),
    `tags ${
      Object.keys(tags)
        .sort()
        .map((k) => `${k}=${tags[k]}`)
        .join(", ") || "(none)"
    }`,
  ];
  return parts.join(", ");
}
