import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Check, type Plan, remoteFailure, type Validation } from "../../sdk/index.ts";
import type { VerifyContext } from "./config.ts";
import { type Level, rank } from "./levels.ts";
import { ebs, pgFailure, pgRestore, s3, scratchServer, scratchSettings } from "./run.ts";
import { parseSource } from "./sources.ts";

// Control-plane validation before anything is created: CreateVolume DryRun for each
// snapshot restore, HeadObject (with checksums) for S3 objects, pg_restore on this host,
// and the scratch server's role (connect, then CREATEDB). A failed check is exit 3.

export async function validateVerify(plan: Plan, c: unknown): Promise<Validation> {
  const ctx = c as VerifyContext;
  const actions: Record<string, Check[]> = {};
  const scratch = scratchSettings(ctx);
  const endpoint = ctx.config.aws.endpoint;
  let roleCheck: Check | undefined;
  let toolCheck: Check | undefined;

  for (const a of plan.actions) {
    if (a.operation !== "verify" || a.reason.evidence.recoveryPoint === "none") continue;
    const parsed = parseSource(String(a.resource.attributes.source));
    if (!parsed.ok) continue;
    const spec = parsed.spec;
    const level = String(a.reason.evidence.level) as Level;
    const list: Check[] = [];
    if (spec.kind === "ebs-snapshots" && rank(level) >= rank("restore")) {
      let v: Awaited<ReturnType<Awaited<ReturnType<typeof ebs>>["checkCreateVolume"]>>;
      try {
        v = await (await ebs(ctx)).checkCreateVolume(a.resource.id, scratch.availabilityZone, scratch.volumeType);
      } catch (e) {
        throw remoteFailure("EC2", endpoint, e);
      }
      list.push({
        name: "ec2:CreateVolume DryRun",
        status: v.ok ? "passed" : "failed",
        detail: v.ok ? `DryRunOperation: a volume from ${a.resource.id} in ${scratch.availabilityZone} would be created` : `${v.code}: ${v.message}`,
      });
    }
    if (spec.kind === "s3" && rank(level) >= rank("integrity")) {
      const key = String(a.resource.attributes.newestObject ?? "");
      list.push(await headCheck(ctx, spec.bucket, key, endpoint));
    }
    if (spec.kind === "postgres-dump") {
      if (spec.location.kind === "s3") list.push(await headCheck(ctx, spec.location.bucket, spec.location.key, endpoint));
      if (rank(level) >= rank("integrity")) {
        toolCheck ??= await pgRestoreCheck(ctx, String(a.resource.attributes.dumpedWithPgDump ?? ""));
        list.push(toolCheck);
      }
      if (rank(level) >= rank("restore")) {
        roleCheck ??= await createdbCheck(ctx);
        list.push(roleCheck);
      }
    }
    if (spec.kind === "pgbackrest" && rank(level) >= rank("restore")) {
      const version = String(a.resource.attributes.pgVersion ?? "");
      const bin = ctx.section.pgbackrest?.pgBin ?? `/usr/lib/postgresql/${version}/bin`;
      const ok = existsSync(join(bin, "pg_ctl"));
      list.push({
        name: "pg_ctl",
        status: ok ? "passed" : "failed",
        detail: ok
          ? `${join(bin, "pg_ctl")} (PostgreSQL ${version})`
          : `no pg_ctl in ${bin}: install postgresql-${version} or set verifyBackup.pgbackrest.pgBin`,
      });
    }
    if (list.length) actions[a.id] = list;
  }
  return { actions };
}

async function headCheck(ctx: VerifyContext, bucket: string, key: string, endpoint: string | undefined): Promise<Check> {
  let head: Awaited<ReturnType<Awaited<ReturnType<typeof s3>>["head"]>>;
  try {
    head = await (await s3(ctx)).head(bucket, key);
  } catch (e) {
    throw remoteFailure("S3", endpoint, e);
  }
  return {
    name: "s3:HeadObject",
    status: head ? "passed" : "failed",
    detail: head
      ? `s3://${bucket}/${key} readable, ${head.size} bytes, stored checksum ${head.checksum ? `${head.checksum.algorithm} (${head.checksum.type})` : "none"}`
      : `s3://${bucket}/${key} not found`,
  };
}

async function pgRestoreCheck(ctx: VerifyContext, dumpVersion: string): Promise<Check> {
  const located = await pgRestore(ctx);
  if (!located.ok) return { name: "pg_restore", status: "failed", detail: located.message };
  const dumpMajor = Number(/^(\d+)/.exec(dumpVersion)?.[1] ?? 0);
  if (dumpMajor > located.tool.major) {
    return {
      name: "pg_restore",
      status: "failed",
      detail: `${located.tool.path} is PostgreSQL ${located.tool.major}; it cannot read a dump made by pg_dump ${dumpVersion}`,
    };
  }
  return { name: "pg_restore", status: "passed", detail: `${located.tool.version} at ${located.tool.path}` };
}

async function createdbCheck(ctx: VerifyContext): Promise<Check> {
  const server = await scratchServer(ctx);
  let role: Awaited<ReturnType<typeof server.role>>;
  try {
    role = await server.role();
  } catch (e) {
    throw pgFailure(e);
  }
  const where = `${server.connection.host}:${server.connection.port}`;
  const ok = role.createdb || role.superuser;
  return {
    name: "postgres:CREATEDB",
    status: ok ? "passed" : "failed",
    detail: ok
      ? `role ${role.user} on ${where} (PostgreSQL ${role.serverVersion}) may create databases${role.superuser ? " (superuser)" : ""}`
      : `role ${role.user} on ${where} has no CREATEDB: grant it (ALTER ROLE ${role.user} CREATEDB) or use another scratch role`,
  };
}
