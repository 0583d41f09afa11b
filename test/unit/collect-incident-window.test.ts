import { describe, expect, test } from "bun:test";
import { redactObject } from "../../src/commands/collect-incident/object-redact.ts";
import { Pseudonymizer } from "../../src/commands/collect-incident/redact.ts";
import { formatBytes, parseSize, parseWindow } from "../../src/commands/collect-incident/window.ts";

const now = new Date("2026-12-01T12:00:00Z");

describe("collect-incident window and size", () => {
  test("--since as a duration or an RFC 3339 time; --until defaults to now", () => {
    expect(parseWindow("2h", undefined, now).window).toEqual({ since: new Date("2026-12-01T10:00:00Z"), until: now });
    expect(parseWindow("2026-12-01T09:00:00Z", "30m", now).window).toEqual({
      since: new Date("2026-12-01T09:00:00Z"),
      until: new Date("2026-12-01T11:30:00Z"),
    });
    expect(parseWindow("2026-12-01T10:00:00+01:00", "2026-12-01T11:00:00Z", now).window?.since).toEqual(new Date("2026-12-01T09:00:00Z"));
  });

  test("bad windows: unparsable, without a zone, empty, in the future", () => {
    expect(parseWindow("yesterday", undefined, now).problems.map((p) => p.flag)).toEqual(["--since"]);
    expect(parseWindow("2026-12-01T10:00:00", undefined, now).problems[0]?.message).toContain("RFC 3339");
    expect(parseWindow("1h", "2h", now).problems[0]?.message).toContain("the window is empty");
    expect(
      parseWindow("2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z", now)
        .problems.map((p) => p.message)
        .join(),
    ).toContain("in the future");
    expect(parseWindow("2h", "nope", now).problems.map((p) => p.flag)).toEqual(["--until"]);
  });

  test("sizes are binary units", () => {
    expect(parseSize("200M")).toBe(200 * 1024 * 1024);
    expect(parseSize("1G")).toBe(1024 ** 3);
    expect(parseSize("512KiB")).toBe(512 * 1024);
    expect(parseSize("1048576")).toBe(1048576);
    for (const bad of ["", "0", "-1M", "12X", "M"]) expect(parseSize(bad)).toBeUndefined();
    expect(formatBytes(200 * 1024 * 1024)).toBe("200 MiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });
});

describe("collect-incident structured redaction of API objects", () => {
  const p = new Pseudonymizer(Buffer.alloc(32, 1));
  test("env values under secret names, ConfigMap keys, last-applied JSON; references and managedFields", () => {
    const counts = {};
    const pod = {
      metadata: {
        name: "web",
        managedFields: [{ manager: "kubectl" }],
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ env: [{ name: "API_TOKEN", value: "tok-in-annotation" }] }) },
      },
      spec: {
        containers: [
          {
            name: "app",
            env: [
              { name: "DB_PASSWORD", value: "hunter2-literal" },
              { name: "LOG_LEVEL", value: "debug" },
              { name: "DATABASE_URL", value: "postgres://app:dsn-pw-1@db/app" },
              { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "db-creds", key: "password" } } },
            ],
          },
        ],
        volumes: [{ name: "tls", secret: { secretName: "tls-cert" } }],
      },
    };
    const out = JSON.stringify(redactObject(pod, p, counts));
    for (const s of ["hunter2-literal", "tok-in-annotation", "dsn-pw-1", "managedFields"]) expect(out).not.toContain(s);
    for (const s of ['"debug"', '"db-creds"', '"password"', '"tls-cert"', "postgres://app:[redacted:"]) expect(out).toContain(s);
    expect(out).toContain(`"value":"${p.pseudonym("hunter2-literal")}"`);
    const cm = { kind: "ConfigMap", data: { "app.properties": "db.password=cm-secret-1\nmode=fast", SECRET_KEY: "anything", color: "blue" } };
    const cmOut = JSON.stringify(redactObject(cm, p, {}));
    expect(cmOut).not.toContain("cm-secret-1");
    expect(cmOut).not.toContain("anything");
    expect(cmOut).toContain("mode=fast");
    expect(cmOut).toContain('"color":"blue"');
  });
});
