import { OUTPUT_FLAGS } from "../../cli/flags.ts";
import type { InfoCommand } from "../../core/command.ts";
import { infoReport } from "../../core/report.ts";
import { jsonSchemaFor, SCHEMA_NAMES, type SchemaName } from "./generate.ts";

export const schema: InfoCommand = {
  kind: "info",
  name: "schema",
  description: "Print the JSON Schema of the config, a plan file (one scope or many) or the result document",
  flags: OUTPUT_FLAGS,
  positionals: [{ name: "name", description: SCHEMA_NAMES.join("|"), required: true, values: SCHEMA_NAMES }],
  async run({ positionals }) {
    const name = positionals[0] as SchemaName;
    return infoReport("schema", await jsonSchemaFor(name), "raw-json");
  },
};
