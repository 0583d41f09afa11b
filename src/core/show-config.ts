import { displayValue, type ResolvedConfig } from "../config/resolve.ts";
import { describeSource } from "./errors.ts";
import type { Scope } from "./plan.ts";
import type { Report } from "./report.ts";

export interface ShowConfigData {
  files: ResolvedConfig["files"];
  environment: string | null;
  digest: string;
  keys: { key: string; value: unknown; source: string; shadowed: { value: unknown; source: string }[] }[];
  /** Required flags left out, which --show-config does not need (e.g. --image): said, so nobody wonders. */
  notGiven?: string[];
}

/** --show-config contacts nothing: it reports the resolved keys, their sources and what they shadowed. */
export function showConfigReport(command: string, resolved: ResolvedConfig, scope: Scope | null, notGiven: string[] = []): Report {
  const data: ShowConfigData = {
    files: resolved.files,
    environment: resolved.environment ?? null,
    digest: resolved.digest,
    keys: resolved.entries.map((e) => ({
      key: e.key,
      value: displayValue(e),
      source: describeSource(e.source),
      shadowed: e.shadowed.map((s) => ({ value: displayValue({ ...s, key: e.key }), source: describeSource(s.source) })),
    })),
    ...(notGiven.length ? { notGiven } : {}),
  };
  return { command, mode: "show-config", scope, plan: null, result: data, exit: "ok", errors: [], view: "show-config" };
}
