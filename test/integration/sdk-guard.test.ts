import { beforeEach, describe, expect, test } from "bun:test";
import { DeleteVolumeCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import * as v from "valibot";
import { runCli } from "../../src/cli/app.ts";
import { builtinCommands } from "../../src/commands/index.ts";
import { Redactor } from "../../src/config/redact.ts";
import type { Deps } from "../../src/core/deps.ts";
import { builtinProviders } from "../../src/providers/index.ts";
import { createTransport } from "../../src/providers/kubernetes/transport.ts";
import { awsClient, awsOptions, createRegistry, defineCommand, defineProvider, type RunContext } from "../../src/sdk/index.ts";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";

// The SDK's promise: planning and validating are read-only by construction. A command
// that tries to mutate before apply is refused by its clients (a bug: exit 1), against
// the real EC2 API of moto; the same call goes through once the run is applying.

const moto = new Moto();

/** A raw EC2 client a team command would bring as its own provider. */
const rawEc2 = defineProvider("raw-ec2", async (ctx: RunContext): Promise<EC2Client> => awsClient(EC2Client, "ec2", awsOptions(ctx)));

type Misbehaviour = "delete-in-plan" | "delete-in-validate" | "dry-run-in-validate" | "delete-in-apply";

function naughty(mode: Misbehaviour) {
  return defineCommand({
    name: "naughty",
    description: "A test command that mutates at the stage a test chooses",
    version: "0.0.1",
    config: { key: "naughty", schema: v.strictObject({ volume: v.optional(v.string()) }), defaults: {} },
    providers: [rawEc2],
    permissions: ["ec2:DeleteVolume"],
    parameters: () => ({ mode }),
    async plan(ctx) {
      const ec2 = await ctx.provider(rawEc2, ctx);
      const volumes = (await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? [];
      const id = volumes[0]?.VolumeId as string;
      if (mode === "delete-in-plan") await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
      return {
        actions: [
          {
            id: `delete:${id}`,
            resource: { type: "aws.ec2.volume", id, attributes: {} },
            operation: "delete",
            reason: { summary: "test", evidence: {} },
            call: { service: "ec2", operation: "DeleteVolume", parameters: { VolumeId: id } },
            checks: [],
            preconditions: [],
          },
        ],
        skipped: [],
      };
    },
    async validate(plan, ctx) {
      const ec2 = await ctx.provider(rawEc2, ctx);
      const id = plan.actions[0]?.resource.id as string;
      if (mode === "delete-in-validate") await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
      if (mode === "dry-run-in-validate") {
        const err: { name?: string } = await ec2.send(new DeleteVolumeCommand({ VolumeId: id, DryRun: true })).then(
          () => ({ name: "performed" }),
          (e) => e as { name?: string },
        );
        return { plan: [{ name: "dry-run", status: err?.name === "DryRunOperation" ? "passed" : "failed", detail: String(err?.name) }] };
      }
      return {};
    },
    live: async () => ({}),
    apply: {
      delete: async (action, ctx) => {
        const ec2 = await ctx.provider(rawEc2, ctx);
        await ec2.send(new DeleteVolumeCommand({ VolumeId: action.resource.id }));
        return { status: "applied" };
      },
    },
  });
}

async function run(mode: Misbehaviour, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = createRegistry({ name: "guardtest", description: "SDK guard test binary", commands: { ...builtinCommands, naughty: naughty(mode) } });
  const { dir, env } = workspace(moto.url, "  accessKeyId: testing\n  secretAccessKey: testing\n");
  let stdout = "";
  let stderr = "";
  const deps: Deps = {
    env,
    cwd: dir,
    now: () => new Date(),
    stdout: {
      write: (t) => {
        stdout += t;
      },
      isTTY: false,
    },
    stderr: {
      write: (t) => {
        stderr += t;
      },
      isTTY: false,
    },
    stdinIsTTY: false,
    prompt: async () => undefined,
    signal: new AbortController().signal,
    providers: { ...builtinProviders },
    build: { version: "0.1.0", commit: "test", target: "source" },
    runtime: "test",
    redactor: new Redactor(),
  };
  const code = await runCli(["naughty", "--environment", "staging", ...extra], root, deps);
  return { code, stdout, stderr };
}

describe("the SDK's read-only clients (EC2 in moto)", () => {
  beforeEach(async () => {
    await moto.reset();
    await moto.volume({ ageDays: 40, tags: { Environment: "staging" } });
  });

  test("a DeleteVolume while planning is refused before it is sent: exit 1, the volume is still there", async () => {
    const r = await run("delete-in-plan", ["--dry-run"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ec2 DeleteVolume was refused while planning");
    expect((await moto.volumeIds()).length).toBe(1);
  });

  test("a DeleteVolume while validating is refused too, in an apply run as well", async () => {
    const r = await run("delete-in-validate", ["--yes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ec2 DeleteVolume was refused while validating");
    expect((await moto.volumeIds()).length).toBe(1);
  });

  test("DryRun=true passes while validating, and the real call goes through while applying", async () => {
    const dry = await run("dry-run-in-validate", ["--dry-run"]);
    expect(dry.code).toBe(10);
    expect((await moto.volumeIds()).length).toBe(1);
    const applied = await run("delete-in-apply", ["--yes"]);
    expect(applied.code).toBe(0);
    expect((await moto.volumeIds()).length).toBe(0);
  });
});

describe("the SDK's read-only Kubernetes transport", () => {
  const target = { server: "http://127.0.0.1:9", namespace: "default", tls: {} } as Parameters<typeof createTransport>[0];

  test("a PATCH without dryRun=All is refused while planning; with it, the request is sent", async () => {
    const send = createTransport(target, 1000, () => "plan");
    await expect(send("/apis/apps/v1/namespaces/x/deployments/y", { method: "PATCH", body: "{}" })).rejects.toThrow(
      "kubernetes PATCH /apis/apps/v1/namespaces/x/deployments/y was refused while planning",
    );
    // Sent (and refused by the closed port, not by the guard).
    const err = await send("/apis/apps/v1/namespaces/x/deployments/y?dryRun=All", { method: "PATCH", body: "{}" }).catch((e) => e as Error);
    expect(String(err)).not.toContain("refused while planning");
  });

  test("reads and access reviews pass; while applying everything passes", async () => {
    const plan = createTransport(target, 1000, () => "validate");
    for (const [method, path] of [
      ["GET", "/api/v1/pods"],
      ["POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"],
    ] as const) {
      const err = await plan(path, { method }).catch((e) => e as Error);
      expect(String(err)).not.toContain("refused while");
    }
    const apply = createTransport(target, 1000, () => "apply");
    const err = await apply("/apis/apps/v1/namespaces/x/deployments/y", { method: "PATCH", body: "{}" }).catch((e) => e as Error);
    expect(String(err)).not.toContain("refused while");
  });
});
