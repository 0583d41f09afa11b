import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { connect } from "node:tls";
import { OpsError } from "../../core/errors.ts";
import type { Check } from "../../core/plan.ts";
import { normSerial } from "./x509.ts";

// A PEM pair on this host: written atomically (temp file + rename), the previous pair
// kept as <file>.prev, the service reloaded; a failed reload puts the old pair back.

export interface HostInstall {
  certFile: string;
  keyFile: string;
  reload?: string;
  verifyUrl?: string;
}

const RELOAD_TIMEOUT_MS = 60_000;
const VERIFY_WINDOW_MS = 15_000;

/** Before issuing: both files can be replaced and the reload command exists. */
export function hostPreflight(h: HostInstall, env: Record<string, string | undefined>): Check[] {
  const checks: Check[] = [];
  for (const f of [h.certFile, h.keyFile]) {
    const problem = unwritable(f);
    checks.push({ name: "host.writable", status: problem ? "failed" : "passed", detail: problem ?? `${f} and its directory are writable` });
  }
  if (h.reload) {
    const found = commandExists(h.reload, env);
    checks.push({
      name: "host.reload-command",
      status: found ? "passed" : "failed",
      detail: found ? `${firstWord(h.reload)} found (${found})` : `reload command ${firstWord(h.reload)} not found or not executable`,
    });
  }
  return checks;
}

function unwritable(file: string): string | undefined {
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch (e) {
    return `${dirname(file)} is not writable (${(e as NodeJS.ErrnoException).code ?? "error"})`;
  }
  if (existsSync(file)) {
    try {
      accessSync(file, constants.W_OK);
    } catch (e) {
      return `${file} is not writable (${(e as NodeJS.ErrnoException).code ?? "error"})`;
    }
  }
  return undefined;
}

function firstWord(cmd: string): string {
  return cmd.trim().split(/\s+/)[0] ?? "";
}

function commandExists(cmd: string, env: Record<string, string | undefined>): string | undefined {
  const w = firstWord(cmd);
  const candidates = w.includes("/") ? [w] : (env.PATH ?? "/usr/bin:/bin").split(delimiter).map((d) => join(d, w));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface InstallOutcome {
  status: "applied" | "already-done";
  detail: string;
}

/** Installs the pair; throws (after restoring the previous pair) when reload or verification fails. */
export async function installPair(h: HostInstall, certPem: string, keyPem: string, newSerial: string): Promise<InstallOutcome> {
  const prevCert = readFileSync(h.certFile, "utf8");
  const prevKey = existsSync(h.keyFile) ? readFileSync(h.keyFile, "utf8") : undefined;
  if (prevCert === certPem && prevKey === keyPem) return { status: "already-done", detail: `${h.certFile} already holds serial ${newSerial}` };

  atomicWrite(`${h.certFile}.prev`, prevCert, 0o644);
  if (prevKey !== undefined) atomicWrite(`${h.keyFile}.prev`, prevKey, 0o600);
  atomicWrite(h.keyFile, keyPem, 0o600);
  atomicWrite(h.certFile, certPem, 0o644);

  const problem = await reloadAndVerify(h, newSerial);
  if (!problem) return { status: "applied", detail: `installed serial ${newSerial}${h.verifyUrl ? `; ${h.verifyUrl} serves it` : ""}` };

  atomicWrite(h.certFile, prevCert, 0o644);
  if (prevKey !== undefined) atomicWrite(h.keyFile, prevKey, 0o600);
  const again = h.reload ? await run(h.reload) : undefined;
  const restored =
    again && again.code !== 0 ? `; reload after restoring ALSO failed (${again.summary}): check the host now` : "; previous pair restored and reloaded";
  // The host's service is the dependency that failed; with the old pair back, nothing changed there.
  throw new OpsError("remote", [{ message: `${problem}${restored}` }]);
}

async function reloadAndVerify(h: HostInstall, serial: string): Promise<string | undefined> {
  if (h.reload) {
    const r = await run(h.reload);
    if (r.code !== 0) return `reload command failed (${r.summary})`;
  }
  if (h.verifyUrl) {
    // A reload is asynchronous: old workers may answer new connections for a moment.
    const deadline = Date.now() + VERIFY_WINDOW_MS;
    for (;;) {
      let served: string | undefined;
      let problem: string | undefined;
      try {
        served = await servedSerial(h.verifyUrl);
      } catch (e) {
        problem = `cannot read the certificate served at ${h.verifyUrl}: ${(e as Error).message}`;
      }
      if (served === serial) break;
      if (Date.now() > deadline) return problem ?? `${h.verifyUrl} serves serial ${served}, not the new ${serial} (waited ${VERIFY_WINDOW_MS / 1000} s)`;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return undefined;
}

function atomicWrite(file: string, data: string, mode: number): void {
  const tmp = join(dirname(file), `.${Date.now()}.${process.pid}.opsctl.tmp`);
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}

function run(cmd: string): Promise<{ code: number; summary: string }> {
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", cmd], { timeout: RELOAD_TIMEOUT_MS }, (err, _out, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      const tail = String(stderr).trim().split("\n").slice(-2).join(" ").slice(0, 300);
      resolve({ code, summary: `exit ${code}${tail ? `: ${tail}` : ""}` });
    });
  });
}

/** The serial of the certificate a TLS endpoint serves. Trust is not the question here, identity is. */
export function servedSerial(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(
      { host: u.hostname, port: Number(u.port || 443), rejectUnauthorized: false, ...(isIp(u.hostname) ? {} : { servername: u.hostname }) },
      () => {
        const c = s.getPeerCertificate();
        s.end();
        if (!c?.serialNumber) reject(new Error("no certificate served"));
        else resolve(normSerial(c.serialNumber));
      },
    );
    s.setTimeout(10_000, () => s.destroy(new Error("timed out")));
    s.on("error", reject);
  });
}

function isIp(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(":");
}
