import { beforeEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { runDeno } from "../support/deno.ts";
import { workspace } from "../support/e2e-env.ts";
import { FleetMoto, holdLock, type Keys, roleArn } from "../support/fleet-moto.ts";

// One plan across many accounts and regions: the compiled binary against moto-auth, where
// each account is reached through sts:AssumeRole and one account's role is denied to the
// operator by IAM policy (a real AccessDenied from the server, not a fake).

const A = "111111111111"; // payments: two regions, different inventories
const B = "222222222222"; // data: two regions
const C = "333333333333"; // denied: the operator may not assume its role
const D = "444444444444"; // ledger: read-only target
const X = "999999999999"; // blocked
const REGIONS = ["us-east-1", "eu-west-1"];

const moto = new FleetMoto();
let operator: Keys;
let vols: Record<"aUs1" | "aUs2" | "aEu" | "aYoung" | "bUs" | "bEuYoung" | "cUs" | "dUs" | "xUs", string>;

const target = (name: string, account: string, extra = "") =>
  `  - name: ${name}\n    kind: aws\n    account: "${account}"\n    roles: ["${roleArn(account)}"]\n    regions: [us-east-1, eu-west-1]\n${extra}`;
const TARGETS = [
  "targets:",
  target("payments", A, "    tags: { team: payments }\n"),
  target("data", B, "    tags: { team: data }\n"),
  target("denied", C, "    tags: { team: payments }\n"),
  target("ledger", D, "    tags: { team: data }\n    mode: read-only\n"),
  target("legacy", X, "    tags: { team: payments }\n"),
  `blocked: ["${X}"]`,
  "",
].join("\n");

function ws(targets = TARGETS, extraConfig = "") {
  const w = workspace(moto.url, extraConfig, { "targets.yaml": targets });
  w.env.AWS_ACCESS_KEY_ID = operator.accessKeyId;
  w.env.AWS_SECRET_ACCESS_KEY = operator.secretAccessKey;
  return w;
}

const run = (args: string[], w: { dir: string; env: Record<string, string> }) => runBin(args, { cwd: w.dir, env: w.env, timeoutMs: 120_000 });
const dry = ["cleanup-volumes", "--environment", "staging", "--targets", "targets.yaml", "--dry-run"];
const applyArgs = ["cleanup-volumes", "--environment", "staging", "--targets", "targets.yaml"];

async function inventory(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const acct of [A, B, C, D, X]) for (const r of REGIONS) out[`${acct}/${r}`] = await moto.volumeIds(acct, r);
  return out;
}

beforeEach(async () => {
  operator = await moto.setup([A, B, C, D, X], [C]);
  const old = (acct: string, region: string) => moto.volume(acct, region, { ageDays: 90, tags: { Environment: "staging" } });
  vols = {
    aUs1: await old(A, "us-east-1"),
    aUs2: await old(A, "us-east-1"),
    aEu: await old(A, "eu-west-1"),
    aYoung: await moto.volume(A, "eu-west-1", { ageDays: 3, tags: { Environment: "staging" } }),
    bUs: await old(B, "us-east-1"),
    // B eu-west-1: nothing old (a no-op scope)
    bEuYoung: await moto.volume(B, "eu-west-1", { ageDays: 2, tags: { Environment: "staging" } }),
    cUs: await old(C, "us-east-1"),
    dUs: await old(D, "us-east-1"),
    xUs: await old(X, "us-east-1"),
  };
});

describe("cleanup-volumes across accounts and regions", () => {
  test("dry run: one section per scope with its identity; the denied account fails by name and the plan is incomplete (exit 5, not 10)", async () => {
    const w = ws();
    const before = await inventory();
    const r = await run([...dry, "--format", "json", "--out", "plan.json"], w);
    expect(r.code).toBe(5);
    const j = r.json;
    expect(j.exit).toEqual({ code: 5, name: "partial" });
    expect(j.scope).toBeNull();
    const status = Object.fromEntries(j.fleet.scopes.map((s: { name: string; status: string }) => [s.name, s.status]));
    expect(status).toEqual({
      "data/eu-west-1": "no-op",
      "data/us-east-1": "planned",
      "denied/eu-west-1": "failed",
      "denied/us-east-1": "failed",
      "ledger/eu-west-1": "no-op",
      "ledger/us-east-1": "planned",
      "payments/eu-west-1": "planned",
      "payments/us-east-1": "planned",
    });
    const byName = Object.fromEntries(j.fleet.scopes.map((s: { name: string }) => [s.name, s]));
    expect(byName["payments/us-east-1"].identity).toEqual({
      account: A,
      callerArn: `arn:aws:sts::${A}:assumed-role/opsctl/opsctl-cleanup-volumes`,
      roles: [roleArn(A)],
    });
    expect(byName["payments/us-east-1"].plan.actions.map((a: { resource: { id: string } }) => a.resource.id).sort()).toEqual([vols.aUs1, vols.aUs2].sort());
    expect(byName["payments/eu-west-1"].plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).toEqual([vols.aEu]);
    expect(byName["data/us-east-1"].plan.scope).toEqual({ environment: "staging", region: "us-east-1", account: B });
    expect(byName["denied/us-east-1"].errors[0].message).toContain(`cannot assume role ${roleArn(C)}: AccessDenied`);
    expect(byName["denied/us-east-1"].exit).toEqual({ code: 4, name: "remote" });
    // The blocked account is shown as blocked and never becomes a scope.
    expect(j.fleet.selection.blocked).toEqual([expect.objectContaining({ name: "legacy", account: X })]);
    expect(Object.keys(status).some((n) => n.startsWith("legacy"))).toBe(false);
    // stderr names the failed scope and its cause.
    expect(r.stderr).toContain(`scope denied/us-east-1: cannot assume role ${roleArn(C)}: AccessDenied`);
    // The plan file: one sealed section per scope and a top digest.
    const plan = JSON.parse(readFileSync(join(w.dir, "plan.json"), "utf8"));
    expect(plan.schema).toBe("opsctl.fleet-plan/v1");
    expect(plan.scopes).toHaveLength(8);
    expect(plan.digest).toBe(j.fleet.digest);
    for (const s of plan.scopes) expect(s.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await inventory()).toEqual(before);
  });

  test("apply: the others are applied, the denied account is named, exit 5; the blocked and read-only accounts are untouched", async () => {
    const w = ws();
    const r = await run([...applyArgs, "--yes"], w);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/payments\/us-east-1\s+111111111111\s+us-east-1\s+write\s+applied\s+2\s+2\s+0\s+0/);
    expect(r.stdout).toMatch(/denied\/us-east-1\s+333333333333\s+us-east-1\s+write\s+failed/);
    expect(r.stdout).toMatch(/ledger\/us-east-1\s+444444444444\s+us-east-1\s+read-only\s+skipped\s+1/);
    expect(r.stdout).toContain("read-only target: planned, never applied");
    expect(r.stderr).toContain(`scope denied/eu-west-1: cannot assume role ${roleArn(C)}: AccessDenied`);
    const after = await inventory();
    expect(after[`${A}/us-east-1`]).toEqual([]);
    expect(after[`${A}/eu-west-1`]).toEqual([vols.aYoung]);
    expect(after[`${B}/us-east-1`]).toEqual([]);
    expect(after[`${B}/eu-west-1`]).toEqual([vols.bEuYoung]);
    expect(after[`${C}/us-east-1`]).toEqual([vols.cUs]);
    expect(after[`${D}/us-east-1`]).toEqual([vols.dUs]);
    expect(after[`${X}/us-east-1`]).toEqual([vols.xUs]);
  });

  test("exit 10 when every selected scope planned cleanly and one has changes; 0 when none has", async () => {
    const w = ws();
    const r = await run([...dry, "--target", "payments", "--target", "data"], w);
    expect(r.code).toBe(10);
    expect(r.stdout).toContain("Dry run: 4 change(s) across 3 scope(s), nothing applied.");
    expect(r.stderr).toBe("");
    const none = await run([...dry, "--target", "data", "--older-than", "365d"], w);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("Dry run: nothing to change in any scope.");
  });

  test("--target-tag selects by tag (AND), and the selection is shown", async () => {
    const w = ws();
    const r = await run([...dry, "--target-tag", "team=data", "--format", "json"], w);
    expect(r.code).toBe(10);
    expect(r.json.fleet.scopes.map((s: { target: string }) => s.target)).toEqual(["data", "data", "ledger", "ledger"]);
    expect(r.json.fleet.selection.tags).toEqual({ team: "data" });
  });

  test("every scope failed: the code of that failure (4 when no role can be assumed)", async () => {
    const w = ws();
    const r = await run([...dry, "--target", "denied"], w);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("Dry run INCOMPLETE: 2 of 2 scope(s) not planned");
  });

  test("every scope failed validation: exit 3 (credentials of another account than the target's)", async () => {
    const w = ws(`targets:\n  - name: wrong\n    kind: aws\n    account: "${A}"\n    roles: ["${roleArn(B)}"]\n    regions: [us-east-1]\n`);
    const r = await run(dry, w);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`target wrong: the credentials after assuming ${roleArn(B)} belong to account ${B}`);
    expect(r.stderr).toContain(`not ${A}; nothing was run there`);
  });

  test("a role chain is assumed in order and recorded", async () => {
    const w = ws(`targets:\n  - name: chained\n    kind: aws\n    account: "${B}"\n    roles: ["${roleArn(A)}", "${roleArn(B)}"]\n    regions: [us-east-1]\n`);
    const r = await run([...dry, "--format", "json"], w);
    expect(r.code).toBe(10);
    expect(r.json.fleet.scopes[0].identity).toEqual({
      account: B,
      callerArn: `arn:aws:sts::${B}:assumed-role/opsctl/opsctl-cleanup-volumes`,
      roles: [roleArn(A), roleArn(B)],
    });
  });

  test("a held lock makes that scope 'locked', not the run hang; the other scopes apply (exit 5)", async () => {
    const w = ws();
    const id = `cleanup-volumes/staging/us-east-1/${A}`;
    holdLock(w.env.XDG_STATE_HOME as string, id);
    const r = await run([...applyArgs, "--target", "payments", "--yes", "--format", "json"], w);
    expect(r.code).toBe(5);
    const status = Object.fromEntries(r.json.fleet.scopes.map((s: { name: string; status: string }) => [s.name, s.status]));
    expect(status).toEqual({ "payments/eu-west-1": "applied", "payments/us-east-1": "locked" });
    expect(r.stderr).toContain(`scope payments/us-east-1: lock ${id} is held by pid ${process.pid}`);
    const after = await inventory();
    expect(after[`${A}/us-east-1`]).toEqual([vols.aUs1, vols.aUs2].sort());
    expect(after[`${A}/eu-west-1`]).toEqual([vols.aYoung]);
  });

  test("--max-failed-scopes: after N failures no new scope starts; the rest are reported as not started", async () => {
    const w = ws();
    const r = await run(
      [
        ...applyArgs,
        "--target",
        "data",
        "--target",
        "denied",
        "--target",
        "payments",
        "--max-scopes",
        "1",
        "--max-failed-scopes",
        "1",
        "--yes",
        "--format",
        "json",
      ],
      w,
    );
    expect(r.code).toBe(5);
    const scopes = r.json.fleet.scopes.map((s: { name: string; status: string; missing?: boolean }) => [s.name, s.status, s.missing ?? false]);
    // Sorted by name: data (2 scopes) runs, denied fails, payments never starts.
    expect(scopes).toEqual([
      ["data/eu-west-1", "no-op", false],
      ["data/us-east-1", "applied", false],
      ["denied/eu-west-1", "failed", false],
      ["denied/us-east-1", "skipped", true],
      ["payments/eu-west-1", "skipped", true],
      ["payments/us-east-1", "skipped", true],
    ]);
    expect(r.json.fleet.stoppedBy).toBe("max-failed");
    const after = await inventory();
    expect(after[`${A}/us-east-1`]).toEqual([vols.aUs1, vols.aUs2].sort());
  });

  test("a saved plan applied for one scope only; the other scopes stay as they were", async () => {
    const w = ws();
    const d = await run([...dry, "--target", "payments", "--target", "data", "--out", "plan.json"], w);
    expect(d.code).toBe(10);
    const r = await run(["apply", "plan.json", "--scope", "payments/eu-west-1", "--format", "json"], w);
    expect(r.code).toBe(0);
    expect(r.json.fleet.scopes.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([["payments/eu-west-1", "applied"]]);
    const after = await inventory();
    expect(after[`${A}/eu-west-1`]).toEqual([vols.aYoung]);
    expect(after[`${A}/us-east-1`]).toEqual([vols.aUs1, vols.aUs2].sort());
    expect(after[`${B}/us-east-1`]).toEqual([vols.bUs]);
  });

  test("a plan with a failed scope is applied only with --scope; unknown --scope is a usage error", async () => {
    const w = ws();
    await run([...dry, "--target", "payments", "--target", "denied", "--out", "plan.json"], w);
    const all = await run(["apply", "plan.json"], w);
    expect(all.code).toBe(3);
    expect(all.stderr).toContain("scope denied/eu-west-1 was not planned (failed: cannot assume role");
    expect(all.stdout).toBe("");
    const typo = await run(["apply", "plan.json", "--scope", "payments/us-eats-1"], w);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("plan.json has no scope 'payments/us-eats-1' (did you mean 'payments/us-east-1'?)");
    const before = await inventory();
    expect(before[`${A}/us-east-1`]).toEqual([vols.aUs1, vols.aUs2].sort());
  });

  test("a tampered scope section is exit 3 naming it; a changed header or digest list too; nothing changes", async () => {
    const w = ws();
    await run([...dry, "--target", "payments", "--out", "plan.json"], w);
    const path = join(w.dir, "plan.json");
    const original = readFileSync(path, "utf8");
    const plan = JSON.parse(original);
    const i = plan.scopes.findIndex((s: { name: string }) => s.name === "payments/us-east-1");
    plan.scopes[i].plan.actions.pop();
    writeFileSync(path, JSON.stringify(plan));
    const r = await run(["apply", "plan.json", "--scope", "payments/us-east-1"], w);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("scope payments/us-east-1: its section was changed after the plan was made (digest mismatch)");
    const header = JSON.parse(original);
    header.selection.environment = "prod";
    writeFileSync(path, JSON.stringify(header));
    const h = await run(["apply", "plan.json"], w);
    expect(h.code).toBe(3);
    expect(h.stderr).toContain("digest mismatch: the plan's header or its list of scope digests was changed");
    const after = await inventory();
    expect(after[`${A}/us-east-1`]).toEqual([vols.aUs1, vols.aUs2].sort());
    expect(after[`${A}/eu-west-1`]).toEqual([vols.aEu, vols.aYoung].sort());
  });

  test("bad input: --region with a selection, --out without --dry-run, a protected environment without --yes: exit 2, nothing contacted", async () => {
    const w = ws();
    const region = await run([...dry, "--region", "us-east-1"], w);
    expect(region.code).toBe(2);
    expect(region.stderr).toContain("--region selects one scope; with a target selection each target gives its own region");
    const out = await run([...applyArgs, "--out", "p.json"], w);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("--out saves a plan and needs --dry-run");
    const prod = await run(["cleanup-volumes", "--environment", "prod", "--targets", "targets.yaml"], w);
    expect(prod.code).toBe(2);
    expect(prod.stderr).toContain("environment 'prod' is protected: pass --yes to apply across targets");
    expect(readdirSync(w.dir)).not.toContain("p.json");
    const zero = await run([...dry, "--max-scopes", "0"], w);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("--max-scopes");
    expect(zero.stderr).toContain("must be at least 1");
    // A one-scope plan refuses the multi-scope flags instead of ignoring them.
    const one = await run(["cleanup-volumes", "--environment", "staging", "--dry-run", "--out", "one.json"], w);
    expect(one.code).toBe(0);
    const single = await run(["apply", "one.json", "--max-scopes", "2", "--scope", "payments/us-east-1"], w);
    expect(single.code).toBe(2);
    expect(single.stderr).toContain("--max-scopes is for a multi-scope plan; one.json is a plan for one scope");
    expect(single.stderr).toContain("--scope is for a multi-scope plan");
  });

  test("130: SIGINT mid-run finishes the running scope's in-flight call, starts no new scope, reports the rest as not started", async () => {
    const w = ws();
    const r = await runBin([...applyArgs, "--target", "payments", "--target", "data", "--max-scopes", "1", "--concurrency", "1", "--yes", "--format", "json"], {
      cwd: w.dir,
      env: w.env,
      timeoutMs: 120_000,
      during: async (proc, stderr) => {
        for (let i = 0; i < 600 && !stderr().includes("applied delete"); i++) await Bun.sleep(50);
        proc.kill("SIGINT");
      },
    });
    expect(r.code).toBe(130);
    expect(r.json.exit).toEqual({ code: 130, name: "interrupted" });
    const scopes: { name: string; status: string; missing?: boolean; skipReason?: string }[] = r.json.fleet.scopes;
    const notStarted = scopes.filter((s) => s.missing);
    expect(notStarted.length).toBeGreaterThan(0);
    for (const s of notStarted) expect(s.skipReason).toBe("not started: the run was interrupted");
    // What the result says was applied is exactly what is gone.
    const after = await inventory();
    const gone = [vols.aUs1, vols.aUs2, vols.aEu, vols.bUs].filter((id) => !Object.values(after).flat().includes(id));
    const claimed = scopes
      .flatMap((s) => r.json.fleet.scopes.find((x: { name: string }) => x.name === s.name).result?.actions ?? [])
      .filter((a: { status: string }) => a.status === "applied")
      .map((a: { resource: string }) => a.resource);
    expect(gone.sort()).toEqual(claimed.sort());
  });

  test("Deno runs the same multi-scope dry run as the binary (role chains through the SDK's credential providers)", async () => {
    const w = ws();
    const args = [...dry, "--target", "payments", "--target", "denied", "--format", "json"];
    const bin = await run(args, w);
    const deno = await runDeno(args, { cwd: w.dir, env: w.env });
    expect(deno.stderr).toBe(bin.stderr);
    expect(deno.code).toBe(5);
    const shape = (j: { fleet: { scopes: { name: string; status: string; identity: unknown; exit: unknown }[] } }) =>
      j.fleet.scopes.map((s) => [s.name, s.status, s.identity, s.exit]);
    expect(shape(deno.json)).toEqual(shape(bin.json));
  });

  test("the external id is a secret: never in stdout, stderr or the plan file", async () => {
    const CANARY = "CANARY-external-id-4f1e9a";
    const w = ws(
      `targets:\n  - name: ext\n    kind: aws\n    account: "${A}"\n    roles: ["${roleArn(A)}"]\n    externalId: env:EXT_ID\n    regions: [us-east-1]\n`,
    );
    w.env.EXT_ID = CANARY;
    const r = await run([...dry, "--out", "plan.json", "--format", "json", "--verbose"], w);
    expect(r.code).toBe(10);
    for (const text of [r.stdout, r.stderr, readFileSync(join(w.dir, "plan.json"), "utf8")]) expect(text).not.toContain(CANARY);
  });
});
