import { beforeEach, describe, expect, test } from "bun:test";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeInstancesCommand, type EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { planDigest } from "../../src/core/plan.ts";
import { runBin, TEAM_BIN, TEAM_NAME } from "../support/bin.ts";
import { runDeno, stable } from "../support/deno.ts";
import { workspace } from "../support/e2e-env.ts";
import { FleetMoto, roleArn } from "../support/fleet-moto.ts";
import { Moto } from "../support/moto.ts";
import { tempRepo } from "../support/tmp.ts";

// A team command (examples/commands/stop-idle-instances) compiled into its own binary by
// `scripts/build.ts --commands examples/commands --name opsctl-example`, run end to end
// against moto: it gets dry run, apply, saved plans, exit codes and bad-input handling
// from the SDK without a line of its own for them.

const ROOT = join(import.meta.dir, "..", "..");
const moto = new Moto();
const T = 60_000;
const run = (args: string[], ws: { dir: string; env: Record<string, string> }) => runBin(args, { cwd: ws.dir, env: ws.env, bin: TEAM_BIN });

/** An hour-long window that starts `offsetH` hours from now (UTC): 0 means now is inside. */
function window(offsetH: number): string {
  const h = (new Date().getUTCHours() + offsetH + 24) % 24;
  // Keep the window inside one day; an hour starting at 23:00 ends at 24:00.
  return `${String(h).padStart(2, "0")}:00-${String(h + 1).padStart(2, "0")}:00`;
}

/** An instance with these tags, in moto's default account or through another account's client. */
async function instance(tags: Record<string, string>, ec2: EC2Client = moto.ec2): Promise<string> {
  const r = await ec2.send(
    new RunInstancesCommand({
      // One of moto's built-in AMIs (listing them all takes moto tens of seconds).
      ImageId: "ami-12c6146b",
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: "instance", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  return r.Instances?.[0]?.InstanceId as string;
}

async function states(): Promise<Record<string, string>> {
  const r = await moto.ec2.send(new DescribeInstancesCommand({}));
  return Object.fromEntries((r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => [i.InstanceId as string, i.State?.Name as string]));
}

let idle = "";
let busy = "";
let kept = "";
let other = "";

beforeEach(async () => {
  await moto.reset();
  idle = await instance({ Environment: "staging", "opsctl:schedule": window(3), Name: "batch" });
  busy = await instance({ Environment: "staging", "opsctl:schedule": window(0) });
  kept = await instance({ Environment: "staging", "opsctl:schedule": window(3), "opsctl:protect": "true" });
  other = await instance({ Environment: "prod", "opsctl:schedule": window(3) });
});

describe("a team command in its own binary", () => {
  test("help lists it beside the built-ins, under the binary's name", async () => {
    const ws = workspace(moto.url);
    const r = await run(["--help"], ws);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("stop-idle-instances");
    expect(r.stdout).toContain("cleanup-volumes");
    const h = await run(["stop-idle-instances", "--help"], ws);
    expect(h.stdout).toContain(`USAGE ${TEAM_NAME} stop-idle-instances`);
    expect(h.stdout).toContain("--dry-run");
    expect(h.stdout).toContain("PERMISSIONS ec2:DescribeInstances, ec2:StopInstances");
  });

  test(
    "dry run: exit 10, plans the idle instance only (validated with StopInstances DryRun), stops nothing",
    async () => {
      const ws = workspace(moto.url);
      const r = await run(["stop-idle-instances", "--environment", "staging", "--dry-run", "--format", "json"], ws);
      expect(r.code).toBe(10);
      expect(r.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).toEqual([idle]);
      expect(r.json.plan.actions[0].checks).toContainEqual({
        name: "ec2:StopInstances DryRun",
        status: "passed",
        detail: "DryRunOperation: the call would succeed",
      });
      expect(r.json.plan.producer).toMatchObject({ command: "stop-idle-instances", version: "1.0.0" });
      expect(r.json.plan.producer.sourceDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const skipped = Object.fromEntries(r.json.plan.skipped.map((s: { resource: { id: string }; category: string }) => [s.resource.id, s.category]));
      expect(skipped).toEqual({ [busy]: "not-eligible", [kept]: "protected" });
      expect(Object.values(await states())).toEqual(["running", "running", "running", "running"]);
    },
    T,
  );

  test(
    "apply stops exactly the planned instance; a second run has nothing to do (0)",
    async () => {
      const ws = workspace(moto.url);
      const r = await run(["stop-idle-instances", "--environment", "staging"], ws);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(idle);
      const s = await states();
      expect(s[idle]).toMatch(/^(stopping|stopped)$/);
      expect([s[busy], s[kept], s[other]]).toEqual(["running", "running", "running"]);
      expect((await run(["stop-idle-instances", "--environment", "staging", "--dry-run"], ws)).code).toBe(0);
    },
    T,
  );

  test(
    "a saved plan applies with the team binary's apply; opsctl's own binary and a changed build of the command refuse it (3)",
    async () => {
      const ws = workspace(moto.url);
      expect((await run(["stop-idle-instances", "--environment", "staging", "--dry-run", "--out", "plan.json"], ws)).code).toBe(10);
      const plan = JSON.parse(readFileSync(join(ws.dir, "plan.json"), "utf8"));

      const plain = await runBin(["apply", "plan.json", "--yes"], { cwd: ws.dir, env: ws.env });
      expect(plain.code).toBe(3);
      expect(plain.stderr).toContain("unknown command 'stop-idle-instances' in the plan");

      // The same plan as a different build of the command would have made it (digest resealed: not tampering).
      const changed = { ...plan, producer: { ...plan.producer, sourceDigest: `sha256:${"0".repeat(64)}` } };
      writeFileSync(join(ws.dir, "other-build.json"), JSON.stringify({ ...changed, digest: planDigest(changed) }));
      const refused = await run(["apply", "other-build.json", "--yes"], ws);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain("made by a build of stop-idle-instances whose source differs from this one");
      expect((await states())[idle]).toBe("running");

      const applied = await run(["apply", "plan.json", "--yes", "--format", "json"], ws);
      expect(applied.code).toBe(0);
      expect(applied.json.result.actions).toMatchObject([{ resource: idle, operation: "stop", status: "applied" }]);
      expect((await states())[idle]).toMatch(/^(stopping|stopped)$/);
    },
    T,
  );

  test(
    "exit codes: guardrail 3; unreachable endpoint 4; unknown flag, bad config key and bad env var 2; nothing stopped",
    async () => {
      const ws = workspace(moto.url);
      const guard = await run(["stop-idle-instances", "--environment", "staging", "--max-changes", "0", "--yes"], ws);
      expect(guard.code).toBe(3);
      expect(guard.stderr).toContain("guardrail");

      const down = workspace("http://127.0.0.1:9");
      const unreachable = await run(["stop-idle-instances", "--environment", "staging", "--dry-run"], down);
      expect(unreachable.code).toBe(4);
      expect(unreachable.stderr).toContain("cannot reach EC2 at http://127.0.0.1:9");

      const unknown = await run(["stop-idle-instances", "--environment", "staging", "--scheduel-tag", "x"], ws);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("--scheduel-tag");
      expect(unknown.stderr).toContain(`Run '${TEAM_NAME} stop-idle-instances --help'`);

      writeFileSync(join(ws.dir, "opsctl.config.yaml"), `${readFileSync(join(ws.dir, "opsctl.config.yaml"), "utf8")}stopIdleInstances:\n  scheduleTagg: x\n`);
      const badConfig = await run(["stop-idle-instances", "--environment", "staging", "--format", "json"], ws);
      expect(badConfig.code).toBe(2);
      expect(JSON.stringify(badConfig.json.errors)).toContain("stopIdleInstances.scheduleTagg: unknown key (did you mean 'stopIdleInstances.scheduleTag'?)");

      const badEnv = await run(["stop-idle-instances", "--environment", "staging"], {
        ...workspace(moto.url),
        env: { ...ws.env, OPSCTL_STOP_IDLE_INSTANCES__PROTECT_TAG: "no-equals" },
      });
      expect(badEnv.code).toBe(2);
      expect(badEnv.stderr).toContain("OPSCTL_STOP_IDLE_INSTANCES__PROTECT_TAG");
      expect(Object.values(await states())).toEqual(["running", "running", "running", "running"]);
    },
    T,
  );

  test(
    "across accounts with --targets: the SDK gives a team command multi-scope runs, identities and the exit table too",
    async () => {
      const fleet = new FleetMoto();
      const operator = await fleet.setup(["111111111111", "222222222222", "333333333333"], ["333333333333"]);
      const launch = (account: string, tags: Record<string, string>) => instance(tags, fleet.ec2(account, "us-east-1"));
      const a = await launch("111111111111", { Environment: "staging", "opsctl:schedule": window(3) });
      const b = await launch("222222222222", { Environment: "staging", "opsctl:schedule": window(0) });
      const target = (name: string, account: string) =>
        `  - name: ${name}\n    kind: aws\n    account: "${account}"\n    roles: ["${roleArn(account)}"]\n    regions: [us-east-1]\n`;
      const ws = workspace(fleet.url, "", {
        "targets.yaml": `targets:\n${target("one", "111111111111")}${target("two", "222222222222")}${target("three", "333333333333")}`,
      });
      ws.env.AWS_ACCESS_KEY_ID = operator.accessKeyId;
      ws.env.AWS_SECRET_ACCESS_KEY = operator.secretAccessKey;
      const r = await run(["stop-idle-instances", "--environment", "staging", "--targets", "targets.yaml", "--dry-run", "--format", "json"], ws);
      expect(r.code).toBe(5);
      const byName = Object.fromEntries(r.json.fleet.scopes.map((x: { name: string }) => [x.name, x]));
      expect(byName["one/us-east-1"].status).toBe("planned");
      expect(byName["one/us-east-1"].plan.actions.map((x: { resource: { id: string } }) => x.resource.id)).toEqual([a]);
      expect(byName["two/us-east-1"].status).toBe("no-op");
      expect(byName["two/us-east-1"].plan.skipped.map((x: { resource: { id: string } }) => x.resource.id)).toEqual([b]);
      expect(byName["three/us-east-1"].status).toBe("failed");
      expect(r.stderr).toContain("scope three/us-east-1: cannot assume role");
      expect(r.json.errors[0].message).toContain(`scope three/us-east-1: cannot assume role ${roleArn("333333333333")}: AccessDenied`);
    },
    T,
  );

  test("its config section is composed into show-config and the config schema; env vars map to it", async () => {
    const ws = workspace(moto.url);
    const r = await runBin(["stop-idle-instances", "--environment", "staging", "--show-config", "--format", "json"], {
      cwd: ws.dir,
      env: { ...ws.env, OPSCTL_STOP_IDLE_INSTANCES__SCHEDULE_TAG: "team:hours" },
      bin: TEAM_BIN,
    });
    expect(r.code).toBe(0);
    const entries = Object.fromEntries(r.json.result.keys.map((e: { key: string; value: unknown; source: string }) => [e.key, [e.value, e.source]]));
    expect(entries["stopIdleInstances.scheduleTag"]).toEqual(["team:hours", "env OPSCTL_STOP_IDLE_INSTANCES__SCHEDULE_TAG"]);
    expect(entries["stopIdleInstances.protectTag"]).toEqual(["opsctl:protect=true", "default"]);
    const schema = await run(["schema", "config"], ws);
    expect(JSON.parse(schema.stdout).properties.stopIdleInstances).toBeDefined();
  });

  test(
    "deno run -A over the generated entry runs the same team command",
    async () => {
      const ws = workspace(moto.url);
      const args = ["stop-idle-instances", "--environment", "staging", "--dry-run", "--format", "json"];
      const bin = await run(args, ws);
      const deno = await runDeno(args, { cwd: ws.dir, env: ws.env, entry: join(ROOT, ".build", TEAM_NAME, "main.ts") });
      expect(deno.code).toBe(10);
      expect(deno.stderr).toBe(bin.stderr);
      // The two runs may straddle a minute: the evaluation time is the one honest difference.
      const same = (j: unknown) => JSON.parse(JSON.stringify(stable(j as { plan: null })).replace(/[A-Z][a-z]{2} \d\d:\d\d UTC/g, "<now>"));
      expect(same(deno.json)).toEqual(same(bin.json));
    },
    T,
  );
});

describe("building a team binary", () => {
  const build = (args: string[]) => spawnSync(process.execPath, [join(ROOT, "scripts", "build.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
  const srcState = () => execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8" });

  test("the example lives in its own folder: building it edits no file of src/", () => {
    const before = srcState();
    const r = build(["--commands", "examples/commands", "--name", "example-check", "--no-compile"]);
    expect(r.status).toBe(0);
    expect(srcState()).toBe(before);
  });

  test("a team command named like a built-in is a build error; under a group it builds and runs as NAME GROUP CMD", () => {
    const dir = tempRepo();
    mkdirSync(join(dir, "deploy"));
    const src = readFileSync(join(ROOT, "examples", "commands", "stop-idle-instances", "index.ts"), "utf8")
      .replaceAll("../../../src/", `${join(ROOT, "src")}/`)
      .replaceAll("./instances.ts", join(ROOT, "examples", "commands", "stop-idle-instances", "instances.ts"))
      .replaceAll("./schedule.ts", join(ROOT, "examples", "commands", "stop-idle-instances", "schedule.ts"))
      .replace('name: "stop-idle-instances"', 'name: "deploy"')
      .replace('key: "stopIdleInstances"', 'key: "teamDeploy"')
      .replaceAll("stopIdleInstances.scheduleTag", "teamDeploy.scheduleTag");
    writeFileSync(join(dir, "deploy", "index.ts"), src);
    const clash = build(["--commands", dir, "--name", "clash-check", "--no-compile"]);
    expect(clash.status).toBe(2);
    expect(clash.stderr).toContain("'deploy' clashes with the built-in command 'deploy'");

    const grouped = build(["--commands", dir, "--name", "grouped-check", "--group", "team", "--no-compile"]);
    expect(grouped.status).toBe(0);
    const help = spawnSync(process.execPath, [join(ROOT, ".build", "grouped-check", "main.ts"), "team", "deploy", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("USAGE grouped-check team deploy");
  });
});
