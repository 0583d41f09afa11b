import type { ProviderFactory } from "../core/deps.ts";

/** The real clients, each imported only when a command first asks for it. */
export const realProviders: ProviderFactory = {
  ec2: async (opts) => (await import("./aws/ec2.ts")).createEc2(opts),
  sts: async (opts) => (await import("./aws/sts.ts")).createSts(opts),
  ecs: async (opts) => (await import("./aws/ecs.ts")).createEcs(opts),
  kubeApps: async (target, o) => (await import("./kubernetes/apps.ts")).createApps(target, o),
  acm: async (opts) => (await import("./aws/acm.ts")).createAcm(opts),
  acme: async (opts) => (await import("./acme/client.ts")).createAcme(opts),
  powerdns: async (opts) => (await import("./dns/powerdns.ts")).createPowerDns(opts),
  route53: async (opts) => (await import("./dns/route53.ts")).createRoute53(opts),
  postgresLocks: async (dsn) => (await import("./postgres/locks.ts")).createPostgresLocks(dsn, 5),
  s3Locks: async (opts, o) => (await import("./aws/s3-locks.ts")).createS3Locks(opts, o.bucket, o.prefix, o.leaseMs, o.now),
};
