import type { OpsCommand } from "../core/command.ts";
import { createRegistry } from "../sdk/registry.ts";
import { accessReview } from "./access-review/index.ts";
import { accessRevoke } from "./access-revoke/index.ts";
import { apply } from "./apply/index.ts";
import { cleanupVolumes } from "./cleanup-volumes/index.ts";
import { collectIncident } from "./collect-incident/index.ts";
import { completion } from "./completion/index.ts";
import { configShow } from "./config/show.ts";
import { dbMaintenance } from "./db-maintenance/index.ts";
import { deploy } from "./deploy/index.ts";
import { deployPlan } from "./deploy-plan/index.ts";
import { dnsChange } from "./dns-change/index.ts";
import { exitCodes } from "./exit-codes/index.ts";
import { history } from "./history/index.ts";
import { lock } from "./lock/index.ts";
import { rotateCert } from "./rotate-cert/index.ts";
import { schema } from "./schema/index.ts";
import { targets } from "./targets/index.ts";
import { verifyBackup } from "./verify-backup/index.ts";
import { version } from "./version/index.ts";

/** The built-in commands, by command word: the one place a built-in command is added. */
export const builtinCommands: Record<string, OpsCommand> = {
  "access-review": accessReview,
  "access-revoke": accessRevoke,
  apply,
  "cleanup-volumes": cleanupVolumes,
  completion,
  "collect-incident": collectIncident,
  deploy,
  "deploy-plan": deployPlan,
  "dns-change": dnsChange,
  "db-maintenance": dbMaintenance,
  config: { kind: "group", name: "config", description: "Inspect the layered configuration", subCommands: { show: configShow } },
  "exit-codes": exitCodes,
  history,
  lock,
  "rotate-cert": rotateCert,
  schema,
  targets,
  "verify-backup": verifyBackup,
  version,
};

export const DESCRIPTION = "Contract-first operations CLI: plan, validate, apply — with exit codes CI can branch on";

/** The registry of the opsctl binary (team binaries build theirs from builtinCommands plus their own). */
export const root = createRegistry({ name: "opsctl", description: DESCRIPTION, commands: builtinCommands });
