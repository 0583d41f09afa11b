import { type ConfigModel, type ConfigSection, composeConfig } from "./schema.ts";

// The registry is fixed when a binary is built (static imports), so the composed schema
// is installed once at start-up by createRegistry(); until then only the core keys exist.
let active: ConfigModel = composeConfig([]);

export function installConfigSections(sections: ConfigSection[]): ConfigModel {
  active = composeConfig(sections);
  return active;
}

export function configModel(): ConfigModel {
  return active;
}
