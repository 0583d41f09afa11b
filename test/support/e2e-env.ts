import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { TEST_CREDS } from "./moto.ts";
import { tempRepo } from "./tmp.ts";

/** A repository with an opsctl config pointing at the endpoint, plus an isolated HOME/XDG. */
export function workspace(endpoint: string, extraConfig = "", files: Record<string, string> = {}) {
  const dir = tempRepo({
    "opsctl.config.yaml": `region: us-east-1\naws:\n  endpoint: ${endpoint}\n  maxAttempts: 2\n  requestTimeout: 10s\n${extraConfig}`,
    ...files,
  });
  mkdirSync(join(dir, "home"), { recursive: true });
  const env: Record<string, string> = {
    ...TEST_CREDS,
    HOME: join(dir, "home"),
    XDG_CONFIG_HOME: join(dir, "home", ".config"),
    XDG_STATE_HOME: join(dir, "home", ".state"),
  };
  return { dir, env };
}
