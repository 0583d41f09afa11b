// TEMPORARY (lead's branch): the types helper B's fleet-targets branch defines; replaced at merge.
export type TargetMode = "write" | "read-only";
export interface AwsTarget {
  kind: "aws";
  name: string;
  account: string;
  roles: string[];
  externalId?: string;
  regions: string[] | "all";
  tags: Record<string, string>;
  mode: TargetMode;
  environments?: string[];
  source: string;
}
export interface KubeTarget {
  kind: "kubernetes";
  name: string;
  contexts: string[];
  kubeconfig?: string;
  tags: Record<string, string>;
  mode: TargetMode;
  environments?: string[];
  source: string;
}
export type Target = AwsTarget | KubeTarget;
export interface TargetsSpec {
  targets: Target[];
  blocked: string[];
  source: string;
}
export interface Selection {
  targets: Target[];
  blocked: { name: string; account: string; reason: string }[];
  criteria: { names: string[]; tags: Record<string, string>; environment: string; source: string };
}
