import stopIdleInstances from "../../examples/commands/stop-idle-instances/index.ts";
import { builtinCommands, root as opsctlRoot } from "../../src/commands/index.ts";
import type { GroupCommand } from "../../src/core/command.ts";
import { teamRegistry } from "../../src/sdk/team.ts";
import { type Leaf, leaves } from "./argv-gen.ts";
import { TEAM_BIN, TEAM_NAME } from "./bin.ts";

/**
 * The registry of the example team binary, built the way its generated entry builds it.
 * Installing it composes the config schema with the team's sections too (a superset of
 * opsctl's), so tests that walk it see what the team binary sees.
 */
export function teamRoot(): GroupCommand {
  return teamRegistry({ name: TEAM_NAME, builtins: builtinCommands, team: [["stop-idle-instances", stopIdleInstances]], group: null });
}

/** Commands the team binary has that opsctl does not. */
export function teamOnly(root: GroupCommand): string[] {
  return Object.keys(root.subCommands).filter((w) => !(w in builtinCommands));
}

/**
 * What the reliability matrices walk: every command of the opsctl binary, plus every
 * command only the example team binary has (run through that binary). A team command
 * inherits the contract: no test is written for it by hand.
 */
export function allLeaves(): Leaf[] {
  const team = teamRoot();
  const own = new Set(teamOnly(team));
  return [
    ...leaves(opsctlRoot),
    ...leaves(team)
      .filter((l) => own.has(l.words[0] as string))
      .map((l) => ({ ...l, bin: TEAM_BIN })),
  ];
}
