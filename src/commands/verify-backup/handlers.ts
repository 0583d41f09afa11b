import { join } from "node:path";
import { type Action, type ApplyOutcome, type LiveState, type Plan, parseDuration } from "../../sdk/index.ts";
import type { VerifyContext } from "./config.ts";
import { type Evidence, newEvidence, summaryLine } from "./evidence.ts";
import type { Level } from "./levels.ts";
import { parseRange } from "./probes.ts";
import { ebs, pgbackrest, pgRestore, s3, scratchServer, scratchSettings } from "./run.ts";
import { parseSource } from "./sources.ts";
import { verifyEbs } from "./verify-ebs.ts";
import { verifyPgBackRest } from "./verify-pgbackrest.ts";
import { type VerifyOptions, verifyPgDump } from "./verify-pgdump.ts";
import { verifyS3 } from "./verify-s3.ts";

// Apply handlers. A verification never throws once it has started: whatever happens it
// returns its evidence (with teardown), so the result and the exit code can say what was
// verified, what was created and what was removed.

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));

/** Everything the handler needs comes from the plan (so `opsctl apply FILE` verifies exactly what was reviewed). */
export async function verifyHandler(action: Action, c: unknown, plan: Plan): Promise<ApplyOutcome> {
  const ctx = c as VerifyContext;
  const attrs = action.resource.attributes;
  const ev = action.reason.evidence;
  const parsed = parseSource(str(attrs.source));
  if (!parsed.ok) throw new Error(parsed.message);
  // A relative dump path was resolved against the working directory when planning: use what the plan recorded.
  const spec =
    parsed.spec.kind === "postgres-dump" && parsed.spec.location.kind === "file"
      ? { ...parsed.spec, location: { kind: "file" as const, path: action.resource.id } }
      : parsed.spec;
  const target = str(ev.level) as Level;
  const requested = str(ev.levelRequested) as Level;
  if (ev.recoveryPoint === "none") {
    const e = newEvidence(spec.text, spec.kind, requested || target, target || requested, null);
    e.findings.push(`no recovery point: ${str(ev.finding)}`);
    return outcome(e);
  }
  const run = { scratch: scratchSettings(ctx) };
  const o: VerifyOptions = {
    requested,
    target,
    point: { id: action.resource.id, time: str(attrs.time), sizeBytes: Number(attrs.sizeBytes ?? 0), location: str(attrs.location) },
    maxAge: { text: str(ev.maxAge), ms: parseDuration(str(ev.maxAge)) ?? 0 },
    now: ctx.deps.now(),
    signal: ctx.deps.signal,
    log: (m) => ctx.log.info(m),
    marker: { environment: plan.scope.environment, planDigest: plan.digest, expiresAt: new Date(ctx.deps.now().getTime() + run.scratch.ttlMs).toISOString() },
  };
  const probes = ((plan.parameters.probes ?? []) as { sql: string; expect: string }[]).map((p) => {
    const r = parseRange(p.expect);
    if (typeof r === "string") throw new Error(`plan probe ${p.sql}: ${r}`);
    return { ...p, ...r };
  });
  const probeTimeoutMs = parseDuration(ctx.section.probeTimeout) ?? 60_000;
  let e: Evidence;
  switch (spec.kind) {
    case "ebs-snapshots":
      e = await verifyEbs(spec, action.resource.id, o, {
        ebs: () => ebs(ctx),
        availabilityZone: run.scratch.availabilityZone,
        volumeType: run.scratch.volumeType,
        waitTimeoutMs: run.scratch.restoreTimeoutMs,
        pollMs: 2000,
      });
      break;
    case "s3":
      e = await verifyS3(spec, o, { s3: () => s3(ctx), manifests: ctx.section.manifests, manifestMaxBytes: 16 * 1024 * 1024 });
      break;
    case "postgres-dump":
      e = await verifyPgDump(spec, o, {
        pgRestore: () => pgRestore(ctx),
        s3: () => s3(ctx),
        scratch: () => scratchServer(ctx),
        probes,
        probeTimeoutMs,
        jobs: Math.max(1, ctx.section.restoreJobs),
        env: ctx.deps.env,
        tmpDir: run.scratch.directory,
        database: str(attrs.scratchName) || "opsctl_verify_unnamed",
      });
      break;
    case "pgbackrest":
      e = await verifyPgBackRest(spec, action.resource.id, str(attrs.pgVersion), o, {
        ...(await pgbackrestPorts(ctx)),
        scratchBase: run.scratch.directory,
        dirName: str(attrs.scratchName) || "opsctl-verify-unnamed",
        startTimeoutMs: run.scratch.restoreTimeoutMs,
        probes,
        probeTimeoutMs,
      });
      break;
  }
  return outcome(e);
}

async function pgbackrestPorts(ctx: VerifyContext) {
  const port = await pgbackrest(ctx);
  return { pgbackrest: () => port, user: ctx.section.pgbackrest?.user ?? "postgres", database: ctx.section.pgbackrest?.database ?? "postgres" };
}

function outcome(e: Evidence): ApplyOutcome {
  const created = e.teardown.created.map((r) => `${r.kind}:${r.id}`);
  const evidence = e as unknown as Record<string, unknown>;
  if (e.verified) return { status: "applied", detail: summaryLine(e), created, evidence };
  return { status: "failed", error: { class: "verification", message: summaryLine(e) }, created, evidence };
}

/** Removes a leftover of an earlier run (planned first). A leftover already gone is done. */
export async function removeLeftover(action: Action, c: unknown): Promise<ApplyOutcome> {
  const ctx = c as VerifyContext;
  const id = action.resource.id;
  let r: "removed" | "not-found";
  try {
    r = await removeOne(action, ctx, id);
  } catch (e) {
    // PostgreSQL errors carry a SQLSTATE; 42501 is a permission the scratch role lacks.
    const err = e as { code?: string; message?: string };
    if (action.resource.type !== "postgres.database") throw e;
    return {
      status: "failed",
      error: { class: err.code === "42501" ? "auth" : "remote", ...(err.code ? { code: err.code } : {}), message: `DROP DATABASE ${id}: ${err.message ?? e}` },
      created: [],
    };
  }
  return { status: r === "removed" ? "applied" : "already-done", detail: r === "removed" ? "leftover removed" : "already gone", created: [] };
}

async function removeOne(action: Action, ctx: VerifyContext, id: string): Promise<"removed" | "not-found"> {
  let r: "removed" | "not-found";
  if (action.resource.type === "aws.ec2.volume") r = (await (await ebs(ctx)).deleteVolume(id)) === "deleted" ? "removed" : "not-found";
  else if (action.resource.type === "postgres.database") r = (await (await scratchServer(ctx)).dropDatabase(id)) === "dropped" ? "removed" : "not-found";
  else {
    const br = await pgbackrest(ctx);
    await br.stop({ dir: id, socketDir: id, port: 5432 }, str(action.resource.attributes.pgVersion) || "15");
    r = br.removeDir(id);
  }
  return r;
}

export async function live(action: Action, c: unknown): Promise<LiveState | undefined> {
  const ctx = c as VerifyContext;
  // A verification re-reads its backup itself: a vanished backup is a finding, not drift.
  if (action.operation === "verify") return {};
  const id = action.resource.id;
  if (action.resource.type === "aws.ec2.volume") {
    const v = await (await ebs(ctx)).getVolume(id);
    return v ? Object.fromEntries(Object.entries(v.tags).map(([k, val]) => [`tags.${k}`, val])) : undefined;
  }
  if (action.resource.type === "postgres.database") {
    const found = (await (await scratchServer(ctx)).leftovers()).find((l) => l.name === id);
    return found ? { "marker.purpose": found.marker.purpose } : undefined;
  }
  const found = (await pgbackrest(ctx)).leftovers(join(id, "..")).find((l) => l.dir === id);
  return found ? { "marker.purpose": found.marker.purpose ?? "" } : undefined;
}
