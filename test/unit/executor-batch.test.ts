import { describe, expect, test } from "bun:test";
import type { PlannableCommand, RunContext } from "../../src/core/command.ts";
import { OpsError } from "../../src/core/errors.ts";
import { execute, exitForResult } from "../../src/core/executor.ts";
import type { Action, Plan } from "../../src/core/plan.ts";

// The executor's all-or-nothing groups (PlannableCommand.batch), with an in-memory
// command: each group is re-checked whole, applied by one call, and shares one outcome.

const action = (id: string, group: string, operation = "update", expected = 1): Action => ({
  id,
  resource: { type: "test.item", id, attributes: { group } },
  operation: operation as Action["operation"],
  reason: { summary: "test", evidence: {} },
  call: { service: "test", operation: "Batch", parameters: {} },
  checks: [],
  preconditions: [{ description: "version as planned", attribute: "version", expected, test: "equals" }],
});

function setup(live: Record<string, number | undefined>, failGroups: string[] = []) {
  const calls: string[][] = [];
  const cmd = {
    kind: "plannable",
    name: "test",
    live: async (a: Action) => (live[a.id] === undefined ? undefined : { version: live[a.id] }),
    apply: {},
    batch: {
      group: (a: Action) => String(a.resource.attributes.group),
      apply: async (actions: Action[]) => {
        calls.push(actions.map((a) => a.id));
        if (failGroups.includes(String(actions[0]?.resource.attributes.group))) throw new OpsError("remote", [{ message: "zone server down" }]);
        return { status: "applied" as const, detail: `one call for ${actions.length}` };
      },
    },
  } as unknown as PlannableCommand;
  const ctx = {
    config: { executor: { concurrency: 4, grace: "10s" } },
    flags: {},
    deps: { now: () => new Date(0), signal: new AbortController().signal, stderr: { isTTY: false, write() {} } },
    log: { info() {}, warn() {}, debug() {} },
  } as unknown as RunContext;
  return { cmd, ctx, calls };
}

const plan = (actions: Action[]) => ({ actions }) as unknown as Plan;

describe("batch groups", () => {
  test("one call per group; every action of a group shares its outcome", async () => {
    const { cmd, ctx, calls } = setup({ a1: 1, a2: 1, b1: 1 });
    const r = await execute(plan([action("a1", "A"), action("b1", "B"), action("a2", "A")]), cmd, ctx);
    expect(calls.sort()).toEqual([["a1", "a2"], ["b1"]]);
    expect(r.actions.map((x) => `${x.id} ${x.status} ${x.detail}`)).toEqual([
      "a1 applied one call for 2",
      "b1 applied one call for 1",
      "a2 applied one call for 2",
    ]);
    expect(exitForResult(r)).toBe("ok");
  });

  test("one drifted action keeps its whole group from being applied; other groups go ahead", async () => {
    const { cmd, ctx, calls } = setup({ a1: 1, a2: 2, b1: 1 });
    const r = await execute(plan([action("a1", "A"), action("a2", "A"), action("b1", "B")]), cmd, ctx);
    expect(calls).toEqual([["b1"]]);
    expect(r.actions.map((x) => `${x.id} ${x.status}`)).toEqual(["a1 skipped", "a2 skipped", "b1 applied"]);
    expect(r.actions[0]?.detail).toBe("not applied: its batch is all-or-nothing and a2 drifted");
    expect(r.actions[1]?.detail).toBe("drifted: version as planned (version is now 2)");
  });

  test("a failed group fails all its actions: one group is exit 4, never 5; two groups can be 5", async () => {
    const one = setup({ a1: 1, a2: 1 }, ["A"]);
    const r1 = await execute(plan([action("a1", "A"), action("a2", "A")]), one.cmd, one.ctx);
    expect(r1.actions.map((x) => `${x.status} ${x.error?.message}`)).toEqual(["failed zone server down", "failed zone server down"]);
    expect(exitForResult(r1)).toBe("remote");
    const two = setup({ a1: 1, b1: 1 }, ["B"]);
    const r2 = await execute(plan([action("a1", "A"), action("b1", "B")]), two.cmd, two.ctx);
    expect(exitForResult(r2)).toBe("partial");
  });

  test("a delete already gone is done and left out of the call", async () => {
    const { cmd, ctx, calls } = setup({ a1: 1, a2: undefined });
    const r = await execute(plan([action("a1", "A"), action("a2", "A", "delete")]), cmd, ctx);
    expect(calls).toEqual([["a1"]]);
    expect(r.actions.map((x) => `${x.id} ${x.status}`)).toEqual(["a1 applied", "a2 already-done"]);
  });
});
