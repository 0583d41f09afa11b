import type { FlagSpec } from "../../cli/flags.ts";
import { TARGET_NAME, TARGET_NAME_FORM } from "./model.ts";

/** How a run picks its targets (docs/targets.md): a file, names and tags; the environment comes from --environment. */
export const TARGET_SELECTION_FLAGS: FlagSpec[] = [
  { name: "targets", kind: "string", valueName: "FILE", description: "Targets file (YAML or JSON); replaces the config's targets, adds to its blocked list" },
  {
    name: "target",
    kind: "list",
    valueName: "NAME",
    itemPattern: { re: TARGET_NAME, form: TARGET_NAME_FORM },
    description: "Only this target (repeatable)",
  },
  {
    name: "target-tag",
    kind: "list",
    valueName: "K=V",
    itemPattern: { re: /^[^=]+=.*$/, form: "a tag selector KEY=VALUE" },
    description: "Only targets with this tag (repeatable: every tag must match)",
  },
];
