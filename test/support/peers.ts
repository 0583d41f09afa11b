import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Peers {
  MOTO_URL: string;
  MOTO_CLOCK_FILE: string;
  MOTO_AUTH_URL?: string;
  PG_URL?: string;
  PDNS_API_URL?: string;
  PDNS_API_KEY?: string;
  PDNS_DNS_PORT?: string;
  PEBBLE_DIRECTORY_URL?: string;
  PEBBLE_MGMT_URL?: string;
  PEBBLE_CA_CERT?: string;
  PEBBLE_ISSUER_ROOT?: string;
  PEBBLE_VALID_DIRECTORY_URL?: string;
  PEBBLE_VALID_CA_CERT?: string;
  PEBBLE_VALID_ISSUER_ROOT?: string;
  NGINX_URL?: string;
  NGINX_CERT?: string;
  NGINX_KEY?: string;
  NGINX_RELOAD?: string;
  [key: string]: string | undefined;
}

const ENV_FILE = process.env.OPSCTL_TEST_PEERS_ENV ?? join(import.meta.dir, "..", "..", ".peers", "env");

/**
 * Addresses of the real test servers started by scripts/peers.sh. Tests that need
 * them fail (never skip) when they are not running: a green run must mean they ran.
 */
export function peers(): Peers {
  if (!existsSync(ENV_FILE)) {
    throw new Error(`test servers are not running (${ENV_FILE} is missing): start them with 'bash scripts/peers.sh start' or run 'npm test'`);
  }
  const out: Record<string, string> = {};
  for (const line of readFileSync(ENV_FILE, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1] as string] = m[2] as string;
  }
  if (!out.MOTO_URL || !out.MOTO_CLOCK_FILE) throw new Error(`${ENV_FILE} lacks MOTO_URL or MOTO_CLOCK_FILE`);
  return out as Peers;
}
