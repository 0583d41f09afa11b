import { awsOptions } from "../../providers/aws/context.ts";
import { remoteFailure } from "../../providers/aws/errors.ts";
import type { CoreContext } from "../context.ts";
import { parseDuration } from "../duration.ts";
import { OpsError, usageError } from "../errors.ts";
import type { ProviderTypes } from "../providers.ts";
import { stateDir } from "../state-dir.ts";
import { LocalLocks } from "./local.ts";
import type { LockBackend } from "./types.ts";

/** The configured lock backend (DESIGN §6); shared stores come from the provider factory. */
export async function openLocks(ctx: CoreContext): Promise<LockBackend> {
  const lock = ctx.config.lock;
  switch (lock.backend) {
    case "postgres": {
      const dsn = ctx.secret("lock.postgres.dsn");
      if (!dsn) throw usageError([{ message: "lock.backend is postgres but lock.postgres.dsn is not set" }]);
      try {
        return await (ctx.deps.providers.postgresLocks as ProviderTypes["postgresLocks"])(dsn);
      } catch (e) {
        throw new OpsError(
          "remote",
          [{ message: `cannot reach the PostgreSQL lock store: ${(e as { code?: string }).code ?? ""} ${(e as Error).message}`.trim() }],
          { cause: e },
        );
      }
    }
    case "s3": {
      if (!lock.s3.bucket) throw usageError([{ message: "lock.backend is s3 but lock.s3.bucket is not set" }]);
      try {
        // The lock store is opsctl's own infrastructure, not the command's client: no read-only guard.
        return await (ctx.deps.providers.s3Locks as ProviderTypes["s3Locks"])(
          { ...awsOptions(ctx), region: ctx.scope.region ?? "us-east-1", phase: undefined },
          { bucket: lock.s3.bucket, prefix: lock.s3.prefix, leaseMs: parseDuration(lock.s3.lease) ?? 300_000, now: ctx.deps.now },
        );
      } catch (e) {
        throw remoteFailure("S3", ctx.config.aws.endpoint, e);
      }
    }
    default:
      return new LocalLocks(stateDir(ctx.config, ctx.deps.env, ctx.deps.cwd), (m) => ctx.log.warn(m));
  }
}
