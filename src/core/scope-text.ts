import type { Scope } from "./plan.ts";

export function describeScope(s: Scope): string {
  return [`environment=${s.environment}`, s.region && `region=${s.region}`, s.account && `account=${s.account}`, s.target].filter(Boolean).join(" ");
}
