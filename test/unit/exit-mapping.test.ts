import { describe, expect, test } from "bun:test";
import { evidenceDigest, exitForResult } from "../../src/core/executor.ts";
import type { ActionResult, ExecutionResult } from "../../src/core/report.ts";

// Generic exit mapping for actions that state what they created (verification-style
// actions): a failed verification is 3 when nothing was created, 5 when something was.

const result = (actions: Partial<ActionResult>[], interrupted = false): ExecutionResult => ({
  startedAt: "2026-12-02T00:00:00.000Z",
  finishedAt: "2026-12-02T00:01:00.000Z",
  interrupted,
  actions: actions.map((a, i) => ({ id: `a${i}`, resource: `r${i}`, operation: "verify", status: "applied", durationMs: 1, ...a })),
});
const verificationFailed = (created: string[] = []): Partial<ActionResult> => ({
  status: "failed",
  error: { class: "verification", message: "stale" },
  created,
});

describe("exit codes for verification results", () => {
  test("all verified: 0, whether or not scratch resources were created", () => {
    expect(exitForResult(result([{ created: [] }, { created: ["vol-1"] }]))).toBe("ok");
  });
  test("a failed verification with nothing created anywhere: 3", () => {
    expect(exitForResult(result([{ created: [] }, verificationFailed()]))).toBe("validation");
  });
  test("a failed verification after scratch resources were created (by it or by another action): 5", () => {
    expect(exitForResult(result([verificationFailed(["opsctl_verify_1"])]))).toBe("partial");
    expect(exitForResult(result([{ created: ["vol-1"] }, verificationFailed()]))).toBe("partial");
  });
  test("a remote failure next to read-only verifications is 4 (nothing was changed), interrupt is 130", () => {
    expect(exitForResult(result([{ created: [] }, { status: "failed", error: { class: "remote", message: "ECONNREFUSED" }, created: [] }]))).toBe("remote");
    expect(exitForResult(result([verificationFailed(["x"])], true))).toBe("interrupted");
  });
  test("actions that do not state what they created keep the old rule (applied counts as a change)", () => {
    expect(exitForResult(result([{}, { status: "failed", error: { class: "remote", message: "x" } }]))).toBe("partial");
    expect(exitForResult(result([{ status: "failed", error: { class: "remote", message: "x" } }]))).toBe("remote");
  });
  test("the evidence digest covers every action's evidence and the plan digest", () => {
    const r = result([{ evidence: { verified: true } }]);
    const d = evidenceDigest("sha256:plan", r);
    expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(evidenceDigest("sha256:other", r)).not.toBe(d);
    const edited = result([{ evidence: { verified: false } }]);
    expect(evidenceDigest("sha256:plan", edited)).not.toBe(d);
  });
});
