import type { ApplyOutcome } from "../../core/command.ts";
import type { Action } from "../../core/plan.ts";
import { hostOf, issueParamsOf } from "./action-data.ts";
import type { RotateContext } from "./config.ts";
import { installPair } from "./hosts.ts";
import { acmClient, acmTarget } from "./inventory.ts";
import { issueOnce } from "./issue.ts";
import { certInfo, splitPem } from "./x509.ts";

/**
 * Puts the run's new certificate onto one target. The certificate was ordered and
 * checked during validation; issueOnce hands back that same one.
 */
export async function rotateHandler(action: Action, ctx: RotateContext): Promise<ApplyOutcome> {
  const issued = await issueOnce(ctx, issueParamsOf(action));
  const [leaf = "", ...chain] = splitPem(issued.fullchainPem);
  const info = certInfo(leaf);
  const outputs = { serial: info.serial, notAfter: info.notAfter.toISOString() };
  const host = hostOf(action);
  if (host) {
    const r = await installPair(host, `${[leaf, ...chain].join("\n")}\n`, issued.keyPem, info.serial);
    return { status: r.status, detail: r.detail, outputs };
  }
  const acm = await acmClient(ctx);
  const now = await acm.describe(action.resource.id);
  if (now && acmTarget(now).cert.serial === info.serial) return { status: "already-done", detail: `already serial ${info.serial}`, outputs };
  // Same ARN: listeners, distributions and everything else attached to it keep working.
  await acm.reimport(action.resource.id, `${leaf}\n`, issued.keyPem, chain.length ? `${chain.join("\n")}\n` : "");
  return { status: "applied", detail: `re-imported under the same ARN; serial ${info.serial}, notAfter ${outputs.notAfter}`, outputs };
}
