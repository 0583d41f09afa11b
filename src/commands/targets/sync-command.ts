import { accessSync, chmodSync, constants, existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { printable } from "../../cli/argv.ts";
import { CONFIG_FLAGS, OUTPUT_FLAGS } from "../../cli/flags.ts";
import { resolveConfig } from "../../config/resolve.ts";
import type { InfoCommand } from "../../core/command.ts";
import { coreContext } from "../../core/context.ts";
import { OpsError, type Problem, usageError } from "../../core/errors.ts";
import type { Report } from "../../core/report.ts";
import { readTargetsFileRaw } from "../../core/targets/load.ts";
import { awsOptions } from "../../providers/aws/context.ts";
import { awsErrorInfo, remoteFailure } from "../../providers/aws/errors.ts";
import type { OrganizationsPort } from "../../providers/aws/organizations.ts";
import { renderSync, type SyncResult } from "./render.ts";
import { DEFAULT_ROLE_NAME, type FileTarget, mergeSync, type TargetsFile } from "./sync.ts";

const OU = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const FORMATS = [".yaml", ".yml", ".json"];
const HINT = "Run 'opsctl targets sync --help'";

export const sync: InfoCommand = {
  kind: "info",
  name: "sync",
  description: "Write a targets file from AWS Organizations (one aws target per ACTIVE account); hand-written entries and blocked are kept",
  flags: [
    {
      name: "from-organization",
      kind: "boolean",
      description: "Read the accounts from AWS Organizations (ListAccounts; the management or a delegated account)",
    },
    { name: "ou", kind: "string", valueName: "ID", description: "Only accounts under this OU (ou-xxxx-xxxxxxxx) or root (r-xxxx), child OUs included" },
    { name: "out", kind: "string", required: true, valueName: "FILE", description: "Targets file to write (.yaml, .yml or .json); an existing one is updated" },
    { name: "role-name", kind: "string", valueName: "NAME", description: `Role assumed in each account (default ${DEFAULT_ROLE_NAME})` },
    { name: "regions", kind: "string", valueName: "LIST", description: "Regions of new accounts: comma-separated, or all (default: the config's region)" },
    { name: "dry-run", kind: "boolean", description: "Write nothing; exit 10 if the file would change, 0 if not" },
    { name: "environment", kind: "string", valueName: "NAME", description: "Use environments.<NAME> of the config (credentials, endpoint, region)" },
    { name: "region", kind: "string", configKey: "region", valueName: "REGION", description: "Region for the Organizations client and default for --regions" },
    ...CONFIG_FLAGS,
    ...OUTPUT_FLAGS,
  ],
  async run({ deps, flags }) {
    const str = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
    const problems: Problem[] = [];
    const flag = (name: string) => ({ kind: "flag" as const, name: `--${name}` });
    const ou = str("ou");
    if (ou !== undefined && !OU.test(ou))
      problems.push({ message: `--ou must be an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx), got '${printable(ou)}'`, source: flag("ou") });
    const roleName = str("role-name") ?? DEFAULT_ROLE_NAME;
    if (!ROLE_NAME.test(roleName))
      problems.push({ message: `--role-name must be an IAM role name (1-64 of A-Z a-z 0-9 +=,.@_-), got '${printable(roleName)}'`, source: flag("role-name") });
    const regionsFlag = str("regions");
    const regions = regionsFlag === undefined ? undefined : parseRegions(regionsFlag, problems);
    const out = str("out") as string;
    const ext = extname(out).toLowerCase();
    if (!FORMATS.includes(ext)) problems.push({ message: `--out must end in ${FORMATS.join(", ")}, got '${printable(out)}'`, source: flag("out") });
    const environment = str("environment");
    if (environment !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(environment))
      problems.push({ message: "--environment must be 1-64 letters, digits, - or _", source: flag("environment") });
    if (flags["from-organization"] !== true) {
      problems.push({ message: "targets sync needs a source: --from-organization (AWS Organizations)", source: flag("from-organization") });
    }
    // Bad flags and bad configuration are reported together.
    const resolved = await resolveConfig({
      cwd: deps.cwd,
      env: deps.env,
      configFile: str("config"),
      environment,
      flags: str("region") ? [{ key: "region", value: str("region"), flag: "--region" }] : [],
      redactor: deps.redactor,
    }).catch((e: unknown) => {
      if (!(e instanceof OpsError) || e.exit !== "usage") throw e;
      problems.push(...e.problems);
      return undefined;
    });
    if (problems.length || !resolved) throw usageError(problems, HINT);
    const config = resolved.config;
    const newRegions = regions ?? (config.region ? [config.region] : undefined);
    if (!newRegions)
      throw usageError([{ message: "no regions for new accounts: give --regions LIST (or all), or set region in the config", source: flag("regions") }]);

    const path = resolve(deps.cwd, out);
    const shown = printable(out, 512);
    checkWritable(path, shown);
    const existing = existsSync(path) ? await readTargetsFileRaw(path, shown) : undefined;
    const before = existing ? readFileSync(path, "utf8") : undefined;

    const core = await coreContext(deps, flags, resolved, { environment: environment ?? "-", region: config.region ?? "us-east-1" });
    // Organizations is read only: the client refuses any mutating call (phase "read").
    const opts = awsOptions({ ...core, phase: "read" });
    const make = deps.providers.organizations as ((o: typeof opts) => Promise<OrganizationsPort>) | undefined;
    if (!make) throw new Error("provider 'organizations' is not registered in this binary");
    const org = await make(opts);
    let accounts: Awaited<ReturnType<OrganizationsPort["accounts"]>>;
    try {
      accounts = await org.accounts(ou);
    } catch (e) {
      throw orgFailure(e, config.aws.endpoint, ou);
    }

    // A real organization always lists its management account: nothing at all means no organization
    // (AWS says AWSOrganizationsNotInUseException; an emulator may just answer with an empty list).
    if (!ou && !accounts.length) {
      throw new OpsError("remote", [{ message: "AWS Organizations listed no accounts: the credentials' account is not in an organization; nothing written" }]);
    }
    const { file, changes } = mergeSync(existing ? (existing.raw as unknown as TargetsFile) : undefined, accounts, { roleName, regions: newRegions, ou });
    const text = await serialize(file, ext);
    const changed = text !== before;
    const dryRun = flags["dry-run"] === true;
    // A rewritten file keeps the permissions it had (it may hold literal external ids).
    if (changed && !dryRun) writeAtomically(path, shown, text, existing ? statSync(path).mode & 0o777 : 0o644);
    const result: SyncResult = {
      file: out,
      dryRun,
      changed,
      written: changed && !dryRun,
      organization: { accounts: accounts.length, active: accounts.filter((a) => a.state === "ACTIVE").length, ...(ou ? { ou } : {}) },
      ...changes,
      blocked: file.blocked ?? [],
    };
    const report: Report = {
      command: "targets sync",
      mode: "info",
      scope: null,
      plan: null,
      result,
      exit: dryRun && changed ? "changes" : "ok",
      errors: [],
      view: "text",
      text: renderSync(result),
    };
    return report;
  },
};

function parseRegions(raw: string, problems: Problem[]): string[] | "all" | undefined {
  if (raw.trim() === "all") return "all";
  const list = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((r) => !REGION.test(r));
  if (!list.length || bad.length) {
    problems.push({
      message: `--regions must be comma-separated regions such as us-east-1,eu-west-1, or all${bad.length ? `; not a region: ${bad.map((b) => `'${printable(b, 40)}'`).join(", ")}` : ""}`,
      source: { kind: "flag", name: "--regions" },
    });
    return undefined;
  }
  return [...new Set(list)];
}

/** Before the organization is read: a file that could not be written fails now, not after the calls. */
function checkWritable(path: string, shown: string): void {
  const fail = (why: string): never => {
    throw usageError([{ message: `--out ${shown}: ${why}`, source: { kind: "flag", name: "--out" } }], HINT);
  };
  const dir = dirname(path);
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch {
    fail(`the directory ${printable(dir, 200)} does not exist`);
  }
  if (!st?.isDirectory()) fail(`${printable(dir, 200)} is not a directory`);
  if (existsSync(path) && !statSync(path).isFile()) fail("exists and is not a regular file");
  try {
    // EROFS too: access() reports a read-only file system even to root.
    accessSync(dir, constants.W_OK);
    if (existsSync(path)) accessSync(path, constants.W_OK);
  } catch (e) {
    fail(`cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** Written next to the target and renamed over it: a reader never sees half a file. */
function writeAtomically(path: string, shown: string, text: string, mode: number): void {
  const tmp = `${path}.opsctl-tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw usageError([{ message: `--out ${shown}: cannot write (${(e as NodeJS.ErrnoException).code ?? "error"})`, source: { kind: "flag", name: "--out" } }]);
  }
}

async function serialize(file: TargetsFile, ext: string): Promise<string> {
  const ordered = { targets: file.targets.map(order), ...(file.blocked?.length ? { blocked: file.blocked } : {}) };
  if (ext === ".json") return `${JSON.stringify(ordered, null, 2)}\n`;
  const { Document } = await import("yaml");
  // No anchors: entries sharing a regions list are written out each, so a hand edit changes one entry.
  const doc = new Document(ordered, { aliasDuplicateObjects: false });
  doc.commentBefore =
    " Written by `opsctl targets sync --from-organization` (docs/targets.md). Entries tagged\n opsctl:source=organization are rewritten by the next sync (their name, mode, regions,\n externalId and environments are kept); other entries and `blocked` are never changed.";
  return doc.toString({ lineWidth: 0 });
}

/** Keys in the documented order, so diffs of the file stay readable. */
function order(t: FileTarget): FileTarget {
  const keys = ["name", "kind", "account", "roles", "externalId", "regions", "contexts", "kubeconfig", "tags", "mode", "environments"];
  const rec = t as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (rec[k] !== undefined) out[k] = rec[k];
  for (const k of Object.keys(rec)) if (!(k in out)) out[k] = rec[k];
  return out as unknown as FileTarget;
}

function orgFailure(e: unknown, endpoint: string | undefined, ou: string | undefined): OpsError {
  const info = awsErrorInfo(e);
  // A 403 whose body is not the JSON this API speaks (an emulator's or a proxy's XML auth error)
  // leaves the SDK with a parse error and no code; the status still says the request was refused.
  if (info.code === "SyntaxError" && info.status === 403) {
    return new OpsError(
      "remote",
      [
        {
          message: `organizations${endpoint ? ` at ${endpoint}` : ""} refused the request (HTTP 403, answer not JSON): the credentials were rejected or lack permission`,
        },
      ],
      { cause: e },
    );
  }
  if (info.code === "AWSOrganizationsNotInUseException") {
    return new OpsError("remote", [{ message: "the credentials' account is not in an organization (AWSOrganizationsNotInUseException): nothing to sync" }], {
      cause: e,
    });
  }
  if (info.code === "ParentNotFoundException" || info.code === "OrganizationalUnitNotFoundException") {
    return usageError([
      { message: `--ou ${ou}: no such organizational unit or root in the organization (${info.code})`, source: { kind: "flag", name: "--ou" } },
    ]);
  }
  return remoteFailure("organizations", endpoint, e);
}
