import { type ConfigModel, type ConfigSection, composeConfig } from "./schema.ts";

// The registry is fixed when a binary is built (static imports), so each registry's
// composed schema is made once by createRegistry() and activated when a run starts with
// that registry (runCli). Until then only the core keys exist.
let active: ConfigModel = composeConfig([]);
const byRegistry = new WeakMap<object, ConfigModel>();

export function installConfigSections(sections: ConfigSection[], registry?: object): ConfigModel {
  active = composeConfig(sections);
  if (registry) byRegistry.set(registry, active);
  return active;
}

/** Makes a registry's composed schema the one config loading uses (one process may hold several registries, e.g. tests). */
export function activateConfigFor(registry: object): void {
  const model = byRegistry.get(registry);
  if (model) active = model;
}

export function configModel(): ConfigModel {
  return active;
}
