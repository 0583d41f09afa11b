import type { Redactor } from "../config/redact.ts";
import type { AcmeOptions, AcmePort } from "../providers/acme/client.ts";
import type { AcmPort } from "../providers/aws/acm.ts";
import type { Ec2Port } from "../providers/aws/ec2.ts";
import type { EcsPort } from "../providers/aws/ecs.ts";
import type { AwsClientOptions } from "../providers/aws/options.ts";
import type { StsPort } from "../providers/aws/sts.ts";
import type { DnsOptions, DnsPort } from "../providers/dns/powerdns.ts";
import type { Route53Options } from "../providers/dns/route53.ts";
import type { AppsPort } from "../providers/kubernetes/apps.ts";
import type { KubeTarget } from "../providers/kubernetes/kubeconfig.ts";
import type { LockBackend } from "./lock/types.ts";

export interface Writer {
  write(text: string): void;
  readonly isTTY: boolean;
}

export interface BuildInfo {
  version: string;
  commit: string;
  target: string;
}

/** Provider clients are created on demand, so --help and --version never load an SDK. */
export interface ProviderFactory {
  ec2(opts: AwsClientOptions): Promise<Ec2Port>;
  sts(opts: AwsClientOptions): Promise<StsPort>;
  ecs(opts: AwsClientOptions): Promise<EcsPort>;
  kubeApps(target: KubeTarget, o: { timeoutMs: number; signal?: AbortSignal }): Promise<AppsPort>;
  acm(opts: AwsClientOptions): Promise<AcmPort>;
  acme(opts: AcmeOptions): Promise<AcmePort>;
  powerdns(opts: DnsOptions): Promise<DnsPort>;
  route53(opts: Route53Options): Promise<DnsPort>;
  postgresLocks(dsn: string): Promise<LockBackend>;
  s3Locks(opts: AwsClientOptions, o: { bucket: string; prefix: string; leaseMs: number; now: () => Date }): Promise<LockBackend>;
}

/** Everything a command touches outside itself, injected so tests can replace it. */
export interface Deps {
  env: Record<string, string | undefined>;
  cwd: string;
  now: () => Date;
  stdout: Writer;
  stderr: Writer;
  /** Asks a question on stderr and reads one line; undefined when stdin is not a TTY. */
  prompt: (question: string) => Promise<string | undefined>;
  stdinIsTTY: boolean;
  /** Aborted on SIGINT/SIGTERM: nothing new starts after it fires. */
  signal: AbortSignal;
  providers: ProviderFactory;
  build: BuildInfo;
  runtime: string;
  /** Every secret seen while loading config; all output passes through it. */
  redactor: Redactor;
}
