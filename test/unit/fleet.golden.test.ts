import { beforeAll, describe, test } from "bun:test";
import { builtinProviders } from "../../src/providers/index.ts";
import { FleetMoto, type Keys, roleArn } from "../support/fleet-moto.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// The multi-scope views (text and JSON) with a frozen clock, against moto-auth: two
// accounts, one of them reached through a role the operator may not assume. Volume
// creation times are pinned; what the server makes random (volume ids, and the digests
// that cover them) is mapped to fixed text of the same length so tables keep their widths;
// one volume per scope keeps the order of actions independent of the ids.

const A = "111111111111";
const C = "333333333333";
const moto = new FleetMoto();
let operator: Keys;

const TARGETS = `targets:
  - name: payments
    kind: aws
    account: "${A}"
    roles: ["${roleArn(A)}"]
    regions: [us-east-1, eu-west-1]
    tags: { team: payments }
  - name: denied
    kind: aws
    account: "${C}"
    roles: ["${roleArn(C)}"]
    regions: [us-east-1]
  - name: legacy
    kind: aws
    account: "999999999999"
    roles: ["${roleArn("999999999999")}"]
    regions: [us-east-1]
blocked: ["999999999999"]
`;

beforeAll(async () => {
  operator = await moto.setup([A, C], [C]);
});

async function seed(): Promise<void> {
  operator = await moto.setup([A, C], [C]);
  const at = "2026-08-30 12:00:00";
  await moto.volume(A, "us-east-1", { ageDays: 0, createdAt: at, tags: { Environment: "staging", Name: "scratch-1" } });
  await moto.volume(A, "eu-west-1", { ageDays: 0, createdAt: at, tags: { Environment: "staging", Name: "scratch-3" } });
}

async function run(name: string, argv: string[]) {
  await seed();
  // In process the SDK's default chain would read this process's environment: the operator's keys go in config.
  const config = `region: us-east-1\naws:\n  endpoint: ${moto.url}\n  maxAttempts: 1\n  accessKeyId: ${operator.accessKeyId}\n  secretAccessKey: ${operator.secretAccessKey}\n`;
  const repo = tempRepo({ "opsctl.config.yaml": config, "targets.yaml": TARGETS }, name);
  const env = {
    HOME: "/home/operator",
    XDG_CONFIG_HOME: `${repo}/.xdg`,
    XDG_STATE_HOME: `${repo}/.state`,
    AWS_EC2_METADATA_DISABLED: "true",
  };
  const providers = {
    ec2: builtinProviders.ec2,
    sts: builtinProviders.sts,
    awsIdentity: builtinProviders.awsIdentity,
    awsRegions: builtinProviders.awsRegions,
  };
  const r = await runInProcess(argv, { cwd: repo, env, providers });
  const ids = new Map<string, string>();
  const norm = (t: string) =>
    normalise(t, { "<repo>": repo, "<moto>": moto.url })
      .replace(/vol-[0-9a-f]{17}/g, (v) => {
        if (!ids.has(v)) ids.set(v, `vol-${String(ids.size + 1).padStart(17, "0")}`);
        return ids.get(v) as string;
      })
      .replace(/sha256:[0-9a-f]+/g, (d) => `sha256:${"0".repeat(d.length - 7)}`)
      .replace(/"durationMs": \d+/g, '"durationMs": 0')
      .replace(/"(startedAt|finishedAt)": "[^"]+"/g, '"$1": "<time>"')
      .replace(/"waitedMs": \d+/g, '"waitedMs": 0');
  expectGolden(`${name}.stdout`, norm(r.stdout));
  expectGolden(`${name}.stderr`, norm(r.stderr));
  expectGolden(`${name}.exit`, `${r.code}\n`);
}

const base = ["cleanup-volumes", "--environment", "staging", "--targets", "targets.yaml", "--concurrency", "1", "--max-scopes", "1"];

describe("golden views: a multi-scope run (moto-auth)", () => {
  for (const format of ["text", "json"]) {
    test(`dry run with a denied account (${format})`, () => run(`fleet-dry-run.${format}`, [...base, "--dry-run", "--format", format]));
    test(`apply with a denied account (${format})`, () => run(`fleet-apply.${format}`, [...base, "--yes", "--format", format]));
  }
});
