import { FLEET_FLAGS, type FlagSpec } from "../../cli/flags.ts";

/** `opsctl apply FILE` flags that only a multi-scope plan takes. */
export const FLEET_APPLY_FLAGS: FlagSpec[] = [
  {
    name: "scope",
    kind: "list",
    valueName: "NAME",
    description: "With a multi-scope plan: apply only this scope, e.g. payments-prod/us-east-1 (repeatable)",
    itemPattern: { re: /^[A-Za-z0-9_.-]{1,64}\/[^\s/]{1,128}$/, form: "a scope name TARGET/REGION or TARGET/CONTEXT" },
  },
  {
    name: "targets",
    kind: "string",
    valueName: "FILE",
    description: "With a multi-scope plan: targets file for role chains (default: the plan's, else the config's)",
  },
  ...FLEET_FLAGS.filter((f) => f.name === "max-scopes" || f.name === "max-failed-scopes"),
];
