import { describe, expect, test } from "bun:test";
import { type Plan, planDigest, sealPlan } from "../../src/core/plan.ts";

const base = (): Omit<Plan, "digest"> => ({
  schema: "opsctl.plan/v1",
  command: "cleanup-volumes",
  scope: { environment: "staging", region: "us-east-1" },
  parameters: { olderThan: "30d" },
  createdAt: "2026-11-28T12:00:00.000Z",
  version: "0.1.0",
  configDigest: "sha256:abc",
  actions: [],
  skipped: [],
  checks: [],
});

describe("plan digest", () => {
  test("is stable across key order", () => {
    const a = base();
    const b: Omit<Plan, "digest"> = {
      checks: [],
      skipped: [],
      actions: [],
      configDigest: "sha256:abc",
      version: "0.1.0",
      createdAt: a.createdAt,
      parameters: { olderThan: "30d" },
      scope: { region: "us-east-1", environment: "staging" },
      command: "cleanup-volumes",
      schema: "opsctl.plan/v1",
    };
    expect(planDigest(a)).toBe(planDigest(b));
    expect(planDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test("changes with any edit, and ignores the digest field itself", () => {
    const sealed = sealPlan(base());
    expect(planDigest(sealed)).toBe(sealed.digest);
    expect(planDigest({ ...sealed, scope: { environment: "prod", region: "us-east-1" } })).not.toBe(sealed.digest);
    expect(planDigest({ ...sealed, parameters: { olderThan: "1d" } })).not.toBe(sealed.digest);
  });
});
