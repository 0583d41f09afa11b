import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DeleteVolumeCommand } from "@aws-sdk/client-ec2";
import { runBin } from "../support/bin.ts";
import { pool } from "../support/cloud-state.ts";
import { workspace } from "../support/e2e-env.ts";
import { type Fault, FaultProxy, type Rule } from "../support/fault-proxy.ts";
import { Moto } from "../support/moto.ts";
import { violations } from "../support/outcome.ts";
import { mdTable, recordSection } from "../support/reliability-log.ts";

// Faults injected by the proxy in front of moto at each phase of an apply (discovery,
// control-plane validation, the mutation itself): refused connections, reset connections,
// slow answers past the request timeout, 500s and throttling; persistent, transient (once,
// then the SDK's retry succeeds) and hitting one volume only. The exit code must be the
// documented one and moto must hold exactly what the result says.

const moto = new Moto();

type Phase = "discovery" | "validation" | "apply";
type Variant = "persistent" | "transient" | "one volume";

const FAULTS: Record<string, Fault> = {
  refused: { kind: "refuse" },
  reset: { kind: "reset" },
  // Held past the timeout and never processed once the client gave up (a queue that drops
  // abandoned requests). A slow call that still lands after the client gave up is not here: see below.
  "slow (7 s, timeout 3 s)": { kind: "delay", ms: 7000, dropIfAbandoned: true },
  "500 InternalError": { kind: "error", status: 500, code: "InternalError" },
  "throttling (503 RequestLimitExceeded)": { kind: "error", status: 503, code: "RequestLimitExceeded", message: "Request limit exceeded." },
};

function rule(phase: Phase, fault: Fault, variant: Variant, volume?: string): Rule {
  const at: Omit<Rule, "fault"> =
    phase === "discovery"
      ? { operation: "DescribeVolumes", contains: "Filter.1." }
      : phase === "validation"
        ? { operation: "DeleteVolume", dryRun: true }
        : { operation: "DeleteVolume", ...(variant === "one volume" ? { contains: volume } : {}) };
  return { ...at, fault, ...(variant === "transient" ? { times: 1 } : {}) };
}

/** Documented outcome: nothing changed → 4; the retry absorbs a single fault → 0; one volume failing for good → 5. */
function expected(variant: Variant): number {
  if (variant === "transient") return 0;
  if (variant === "one volume") return 5;
  return 4;
}

interface Scenario {
  phase: Phase;
  fault: string;
  variant: Variant;
}

const scenarios: Scenario[] = [];
for (const phase of ["discovery", "validation", "apply"] as Phase[])
  for (const fault of Object.keys(FAULTS))
    for (const variant of ["persistent", "transient", "one volume"] as Variant[]) {
      if (fault === "refused" && variant !== "persistent") continue; // an endpoint that went away stays away
      if (variant === "one volume" && phase !== "apply") continue;
      scenarios.push({ phase, fault, variant });
    }

let queue: Promise<unknown> = Promise.resolve();
function serially<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn);
  queue = next.catch(() => {});
  return next;
}

const outcomes: (Scenario & { index: number; expected: number; got: number; injected: number; deleted: number; lost: number })[] = [];

beforeAll(async () => {
  await moto.reset();
});

afterAll(() => {
  recordSection("4-faults", {
    title: "4. Faults",
    body: [
      `${outcomes.length} scenarios: each seeds three deletable volumes in its own environment and runs \`opsctl cleanup-volumes --environment … --concurrency 1 --format json\` (an apply) through the fault proxy, with \`aws.maxAttempts: 2\` and \`aws.requestTimeout: 3s\`. "Lost" counts volumes whose state in moto differs from what the result says (deleted but not reported applied, or reported applied but still there); it must be 0.`,
      "",
      mdTable(
        ["phase", "fault", "variant", "faults injected", "expected exit", "exit", "deleted", "lost"],
        outcomes.map((o) => [o.phase, o.fault, o.variant, o.injected, o.expected, o.got, o.deleted, o.lost]),
      ),
      "",
      "Not in this matrix: a call that is slow past the timeout and still takes effect after the client gave up. opsctl then reports that action as failed (remote, TimeoutError) although the volume is gone; a re-run reports it as already done. The slow fault here drops a call once its client has given up.",
      "",
      `Anything lost: ${outcomes.reduce((n, o) => n + o.lost, 0) === 0 ? "nothing" : "**yes, see above**"}.`,
    ].join("\n"),
  });
});

describe("faults at discovery, validation and apply", () => {
  test(`${scenarios.length} scenarios: documented exit code, and moto holds what the result says`, async () => {
    const failures: string[] = [];
    await pool(scenarios, 3, async (s, i) => {
      const environment = `fault-${i}`;
      // Seeding moves moto's one clock (libfaketime): one scenario at a time.
      const ids = await serially(async () => {
        const made: string[] = [];
        for (let k = 0; k < 3; k++) made.push(await moto.volume({ ageDays: 90, tags: { Environment: environment } }));
        return made.sort();
      });
      const proxy = await new FaultProxy(moto.url).start();
      try {
        proxy.rules = [rule(s.phase, FAULTS[s.fault] as Fault, s.variant, ids[1])];
        const { dir, env } = workspace(proxy.url);
        const r = await runBin(["cleanup-volumes", "--environment", environment, "--concurrency", "1", "--format", "json"], {
          cwd: dir,
          env: { ...env, OPSCTL_AWS__REQUEST_TIMEOUT: "3s", OPSCTL_AWS__MAX_ATTEMPTS: "2" },
          timeoutMs: 45_000,
        });
        const want = expected(s.variant);
        const label = `${s.phase} / ${s.fault} / ${s.variant}`;
        const problems = violations(r, { code: want, json: true });
        const injected = proxy.seen.filter((x) => x.fault).length;
        if (injected === 0) problems.push("no fault was injected: the rule did not match");

        // What the result claims, against what moto holds.
        const left = new Set((await moto.volumeIds()).filter((id) => ids.includes(id)));
        const actions: { resource: string; status: string }[] = r.json?.result?.actions ?? [];
        const claimedGone = new Set(actions.filter((a) => a.status === "applied" || a.status === "already-done").map((a) => a.resource));
        let lost = 0;
        for (const id of ids) if (claimedGone.has(id) === left.has(id)) lost++;
        if (lost) problems.push(`${lost} volume(s) differ from the result: claimed gone ${[...claimedGone].join(",")}, left ${[...left].join(",")}`);
        if (want === 4 && left.size !== 3) problems.push("exit 4 (nothing changed) but volumes were deleted");
        if (want === 0 && left.size !== 0) problems.push("exit 0 but volumes are left");
        outcomes.push({ ...s, index: i, expected: want, got: r.code, injected, deleted: 3 - left.size, lost });
        if (problems.length) failures.push(`${label}: ${problems.join("; ")}\n${JSON.stringify(r.json?.errors ?? r.stderr).slice(0, 400)}`);
      } finally {
        proxy.stop();
        // Keep moto small (its tag lookups are O(N) per volume): remove what this scenario left.
        for (const id of await moto.volumeIds()) if (ids.includes(id)) await moto.ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
      }
    });
    outcomes.sort((a, b) => a.index - b.index);
    expect(failures).toEqual([]);
  }, 240_000);

  test("apply FILE: the endpoint refusing the re-read before any mutation → 4, nothing changed (was exit 1)", async () => {
    const ids = await serially(async () => [
      await moto.volume({ ageDays: 90, tags: { Environment: "saved-plan" } }),
      await moto.volume({ ageDays: 90, tags: { Environment: "saved-plan" } }),
    ]);
    const proxy = await new FaultProxy(moto.url).start();
    try {
      const { dir, env } = workspace(proxy.url);
      const saved = await runBin(["cleanup-volumes", "--environment", "saved-plan", "--dry-run", "--out", "plan.json"], { cwd: dir, env });
      expect(saved.code).toBe(10);
      proxy.rules = [{ operation: "DescribeVolumes", fault: { kind: "refuse" } }];
      const r = await runBin(["apply", "plan.json", "--format", "json"], { cwd: dir, env });
      expect(violations(r, { code: 4, json: true })).toEqual([]);
      expect(r.json.errors[0].message).toContain("before applying");
      expect(proxy.calls("DeleteVolume")).toBe(0);
      expect((await moto.volumeIds()).filter((id) => ids.includes(id)).sort()).toEqual(ids.sort());
    } finally {
      proxy.stop();
    }
  });
});
