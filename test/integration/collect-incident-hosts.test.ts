import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHostsCollector, lineTime } from "../../src/commands/collect-incident/collectors/hosts.ts";
import { runCollector } from "../support/incident-harness.ts";

const window = { since: new Date("2026-12-01T10:00:00Z"), until: new Date("2026-12-01T12:00:00Z") };

function logFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "opsctl-hosts-"));
  const path = join(dir, "app.log");
  writeFileSync(
    path,
    [
      "2026-12-01T09:59:59Z before the window",
      "  at continuation of the before line",
      "2026-12-01T10:00:00Z first inside",
      "java.lang.IllegalStateException: boom",
      "  at com.example.Thing(Thing.java:1)",
      "2026-12-01 11:00:00,123 comma fraction, no zone (UTC) Authorization: Bearer abcdefgh123456",
      "2026-12-01T12:00:01Z after the window",
      "",
    ].join("\n"),
  );
  return path;
}

describe("collect-incident hosts collector", () => {
  test("a log file filtered by the window keeps continuation lines with their line; secrets redacted", async () => {
    const path = logFile();
    const c = createHostsCollector({ files: [{ path, filter: "time" }], commands: [], env: process.env });
    expect((await c.probe())[0]?.status).toBe("passed");
    const { files, records } = await runCollector(c, { window });
    const got = files.get(`hosts/files/${path.slice(1)}`) as string;
    expect(got.split("\n").filter(Boolean)).toEqual([
      "2026-12-01T10:00:00Z first inside",
      "java.lang.IllegalStateException: boom",
      "  at com.example.Thing(Thing.java:1)",
      expect.stringMatching(/^2026-12-01 11:00:00,123 comma fraction, no zone \(UTC\) Authorization: Bearer \[redacted:[0-9a-f]{12}\]$/),
    ]);
    expect(records[0]?.source).toContain("3 outside or without a time");
  });

  test("allow-listed commands run without a shell; output bounded; a missing binary fails the probe", async () => {
    const c = createHostsCollector({ files: [], commands: [{ name: "echo", argv: ["echo", "hello; $(id)"], timeoutMs: 5000 }], env: process.env });
    const { files, records } = await runCollector(c, { window });
    expect(files.get("hosts/commands/echo.txt")).toBe("hello; $(id)\n");
    expect(records[0]?.source).toBe("command echo hello; $(id) (exit 0)");
    const missing = createHostsCollector({ files: [], commands: [{ name: "x", argv: ["no-such-binary-xyz"], timeoutMs: 1000 }], env: process.env });
    expect((await missing.probe())[0]).toMatchObject({ status: "failed", detail: "no-such-binary-xyz is not an executable on PATH" });
    const big = createHostsCollector({ files: [], commands: [{ name: "seq", argv: ["seq", "1", "100000"], timeoutMs: 5000 }], env: process.env });
    const r = await runCollector(big, { window, share: 1000 });
    expect(r.report.status).toBe("truncated");
    expect(r.report.bytes).toBeLessThanOrEqual(1000);
  });

  test("a missing file is a failed read (status failed), not a permission verdict", async () => {
    const c = createHostsCollector({ files: [{ path: "/nonexistent/x.log", filter: "none" }], commands: [], env: process.env });
    expect((await c.probe())[0]).toMatchObject({ status: "passed", detail: expect.stringContaining("does not exist") });
    const r = await runCollector(c, { window });
    expect(r.report.status).toBe("failed");
    expect(r.report.failures[0]).toMatchObject({ read: "read /nonexistent/x.log", code: "ENOENT" });
  });

  test("lineTime: ISO with and without zone, offsets, syslog", () => {
    expect(lineTime("2026-12-01T10:00:00+02:00 x")).toBe(Date.parse("2026-12-01T08:00:00Z"));
    expect(lineTime("[2026-12-01 10:00:00.5] x")).toBe(Date.parse("2026-12-01T10:00:00.5Z"));
    expect(lineTime("2026-12-01T10:00:00+0100 x")).toBe(Date.parse("2026-12-01T09:00:00Z"));
    expect(lineTime("Dec  1 10:00:00 host sshd[1]: x", 2026)).toBe(new Date(2026, 11, 1, 10, 0, 0).getTime());
    expect(lineTime("no time here")).toBeUndefined();
  });
});
