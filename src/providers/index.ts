import type { LockBackend } from "../core/lock/types.ts";
import type { Phase } from "../core/providers.ts";
import type { AcmeOptions, AcmePort } from "./acme/client.ts";
import type { AcmPort } from "./aws/acm.ts";
import type { EbsRestorePort } from "./aws/ebs-restore.ts";
import type { Ec2Port } from "./aws/ec2.ts";
import type { EcsPort } from "./aws/ecs.ts";
import type { AwsEvidencePort } from "./aws/evidence.ts";
import type { IamPort } from "./aws/iam.ts";
import type { AssumedScope, RoleChain } from "./aws/identity.ts";
import type { AwsClientOptions } from "./aws/options.ts";
import type { OrganizationsPort } from "./aws/organizations.ts";
import type { S3BackupsPort } from "./aws/s3-backups.ts";
import type { StsPort } from "./aws/sts.ts";
import type { DnsOptions, DnsPort } from "./dns/powerdns.ts";
import type { Route53Options } from "./dns/route53.ts";
import type { ZonePort } from "./dns/zone.ts";
import type { PowerDnsZoneOptions } from "./dns/zone-powerdns.ts";
import type { Route53ZoneOptions } from "./dns/zone-route53.ts";
import type { AppsPort } from "./kubernetes/apps.ts";
import type { KubeReadPort } from "./kubernetes/core.ts";
import type { KubeTarget } from "./kubernetes/kubeconfig.ts";
import type { PgBackRestOptions, PgBackRestPort } from "./pgbackrest/pgbackrest.ts";
import type { PgEvidencePort } from "./postgres/evidence.ts";
import type { ConnectOptions, PgMaintenancePort } from "./postgres/maintenance.ts";
import type { ScratchServer } from "./postgres/scratch.ts";

/**
 * The provider registry: one line per provider, each imported only when a command first
 * asks for it, so --help and --version never load an SDK. Add a provider by adding its
 * folder under src/providers/ and one line here.
 */
export const builtinProviders = {
  ec2: async (opts: AwsClientOptions): Promise<Ec2Port> => (await import("./aws/ec2.ts")).createEc2(opts),
  sts: async (opts: AwsClientOptions): Promise<StsPort> => (await import("./aws/sts.ts")).createSts(opts),
  awsIdentity: async (opts: AwsClientOptions, chain: RoleChain): Promise<AssumedScope> => (await import("./aws/identity.ts")).assumeScope(opts, chain),
  awsRegions: async (opts: AwsClientOptions): Promise<string[]> => (await import("./aws/identity.ts")).listRegions(opts),
  iam: async (opts: AwsClientOptions): Promise<IamPort> => (await import("./aws/iam.ts")).createIam(opts),
  ecs: async (opts: AwsClientOptions): Promise<EcsPort> => (await import("./aws/ecs.ts")).createEcs(opts),
  acm: async (opts: AwsClientOptions): Promise<AcmPort> => (await import("./aws/acm.ts")).createAcm(opts),
  organizations: async (opts: AwsClientOptions): Promise<OrganizationsPort> => (await import("./aws/organizations.ts")).createOrganizations(opts),
  kubeApps: async (target: KubeTarget, o: { timeoutMs: number; signal?: AbortSignal; phase?: () => Phase }): Promise<AppsPort> =>
    (await import("./kubernetes/apps.ts")).createApps(target, o),
  acme: async (opts: AcmeOptions): Promise<AcmePort> => (await import("./acme/client.ts")).createAcme(opts),
  powerdns: async (opts: DnsOptions): Promise<DnsPort> => (await import("./dns/powerdns.ts")).createPowerDns(opts),
  route53: async (opts: Route53Options): Promise<DnsPort> => (await import("./dns/route53.ts")).createRoute53(opts),
  powerdnsZone: async (opts: PowerDnsZoneOptions): Promise<ZonePort> => (await import("./dns/zone-powerdns.ts")).createPowerDnsZone(opts),
  route53Zone: async (opts: Route53ZoneOptions): Promise<ZonePort> => (await import("./dns/zone-route53.ts")).createRoute53Zone(opts),
  awsEvidence: async (opts: AwsClientOptions): Promise<AwsEvidencePort> => (await import("./aws/evidence.ts")).createAwsEvidence(opts),
  kubeReader: async (target: KubeTarget, o: { timeoutMs: number; signal?: AbortSignal; phase?: () => Phase }): Promise<KubeReadPort> =>
    (await import("./kubernetes/core.ts")).createKubeReader(target, o),
  pgEvidence: async (dsn: string, o: { connectTimeoutSeconds: number; statementTimeoutMs: number }): Promise<PgEvidencePort> =>
    (await import("./postgres/evidence.ts")).createPgEvidence(dsn, o),
  postgresLocks: async (dsn: string): Promise<LockBackend> => (await import("./postgres/locks.ts")).createPostgresLocks(dsn, 5),
  postgresMaintenance: async (dsn: string, o: ConnectOptions): Promise<PgMaintenancePort> =>
    (await import("./postgres/maintenance.ts")).createPgMaintenance(dsn, o),
  s3Locks: async (opts: AwsClientOptions, o: { bucket: string; prefix: string; leaseMs: number; now: () => Date }): Promise<LockBackend> =>
    (await import("./aws/s3-locks.ts")).createS3Locks(opts, o.bucket, o.prefix, o.leaseMs, o.now),
  ebsRestore: async (opts: AwsClientOptions): Promise<EbsRestorePort> => (await import("./aws/ebs-restore.ts")).createEbsRestore(opts),
  s3Backups: async (opts: AwsClientOptions): Promise<S3BackupsPort> => (await import("./aws/s3-backups.ts")).createS3Backups(opts),
  pgScratch: async (dsn: string): Promise<ScratchServer> => (await import("./postgres/scratch.ts")).createScratchServer(dsn, 10),
  pgbackrest: async (o: PgBackRestOptions, env: Record<string, string | undefined>): Promise<PgBackRestPort> =>
    (await import("./pgbackrest/pgbackrest.ts")).createPgBackRest(o, env),
};

type Builtin = typeof builtinProviders;
declare module "../core/providers.ts" {
  interface ProviderTypes extends Builtin {}
}
