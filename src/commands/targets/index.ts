import type { GroupCommand } from "../../core/command.ts";
import { list } from "./list.ts";
import { sync } from "./sync-command.ts";

/** The targets of fleet runs (docs/targets.md): what a selection picks, and a file written from AWS Organizations. */
export const targets: GroupCommand = {
  kind: "group",
  name: "targets",
  description: "Targets of fleet runs: list a selection, sync a targets file from AWS Organizations",
  subCommands: { list, sync },
};
