import { describe, expect, test } from "bun:test";
import { Pseudonymizer } from "../../src/commands/collect-incident/redact.ts";

const KEY = Buffer.alloc(32, 7);
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n-----END RSA PRIVATE KEY-----";

describe("collect-incident redaction", () => {
  const cases: [string, string, string][] = [
    ["AWS access key id", "using key AKIAIOSFODNN7EXAMPLE now", "AKIAIOSFODNN7EXAMPLE"],
    ["AWS secret key", `aws_secret_access_key = ${SECRET}`, SECRET],
    ["AWS secret key in JSON", `{"SecretAccessKey":"${SECRET}"}`, SECRET],
    ["bearer token", "calling with Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig ok", "eyJhbGciOiJIUzI1NiJ9.payload.sig"],
    ["Authorization header", "Authorization: Basic dXNlcjpodW50ZXIy\nnext", "dXNlcjpodW50ZXIy"],
    ["Authorization in JSON", '{"headers":{"authorization":"Token abc123def456"}}', "abc123def456"],
    ["DSN password", "connecting to postgres://app:s3cr3t-pw@db.internal:5432/app", "s3cr3t-pw"],
    ["DSN password in JSON", '{"url":"redis://:r3dis-pw@cache:6379/0"}', "r3dis-pw"],
    ["private key", `key:\n${PEM}\nend`, "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn"],
    ["private key in JSON-escaped text", JSON.stringify({ k: PEM }), "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn"],
    ["named secret KEY=value", "DB_PASSWORD=hunter2hunter2 started", "hunter2hunter2"],
    ["named secret in JSON", '{"apiToken": "tok-991234"}', "tok-991234"],
    ["SQL password literal", "ALTER ROLE app PASSWORD 'p4ssw0rd!'", "p4ssw0rd!"],
    ["libpq key/value DSN", "host=db user=app password=kv-secret-1 dbname=x", "kv-secret-1"],
  ];
  for (const [name, text, secret] of cases) {
    test(`${name} is replaced by a pseudonym`, () => {
      const p = new Pseudonymizer(KEY);
      const counts = {};
      const out = p.redact(text, counts);
      expect(out).not.toContain(secret);
      expect(out).toMatch(/\[redacted:[0-9a-f]{12}\]/);
      expect(Object.values(counts).reduce((a: number, b) => a + (b as number), 0)).toBeGreaterThan(0);
    });
  }

  test("context survives: DSN user and host, header scheme, env name", () => {
    const p = new Pseudonymizer(KEY);
    expect(p.redact("postgres://app:pw-123456@db:5432/x")).toBe(`postgres://app:${p.pseudonym("pw-123456")}@db:5432/x`);
    expect(p.redact("Authorization: Bearer abcdefgh12345")).toBe(`Authorization: Bearer ${p.pseudonym("abcdefgh12345")}`);
    expect(p.redact("DB_PASSWORD=hunter2hunter2")).toBe(`DB_PASSWORD=${p.pseudonym("hunter2hunter2")}`);
  });

  test("the same secret gets the same pseudonym wherever it appears and whatever rule found it", () => {
    const p = new Pseudonymizer(KEY);
    const a = p.redact("postgres://app:same-secret-1@db/x");
    const b = p.redact("PASSWORD=same-secret-1");
    const c = p.redactNamed("DB_PASS", "same-secret-1");
    const ps = p.pseudonym("same-secret-1");
    expect(a).toContain(ps);
    expect(b).toContain(ps);
    expect(c).toBe(ps);
  });

  test("another bundle key gives other pseudonyms (nothing to test a guess against)", () => {
    expect(new Pseudonymizer(KEY).pseudonym("x-secret")).not.toBe(new Pseudonymizer(Buffer.alloc(32, 8)).pseudonym("x-secret"));
    expect(new Pseudonymizer().pseudonym("x-secret")).not.toBe(new Pseudonymizer().pseudonym("x-secret"));
  });

  test("known values (Kubernetes Secret data) are replaced in any text; short ones are ignored", () => {
    const p = new Pseudonymizer(KEY);
    p.addKnown("plain-looking-value-42", "k8s-secret-value");
    p.addKnown("abc");
    const counts: Record<string, number> = {};
    expect(p.redact("the app printed plain-looking-value-42 twice: plain-looking-value-42 abc", counts)).toBe(
      `the app printed ${p.pseudonym("plain-looking-value-42")} twice: ${p.pseudonym("plain-looking-value-42")} abc`,
    );
    expect(counts["k8s-secret-value"]).toBe(2);
  });

  test("redacting twice changes nothing more (pseudonyms are not re-redacted)", () => {
    const p = new Pseudonymizer(KEY);
    const once = p.redact("token=abcdef123456 Authorization: Bearer abcdefgh12345 postgres://u:pw-123456@h/d");
    expect(p.redact(once)).toBe(once);
  });

  test("ordinary text is left alone", () => {
    const p = new Pseudonymizer(KEY);
    const text = "GET /healthz 200 in 3ms; pod web-7d9f restarted; tokens consumed: 12; see https://example.com/a?b=c";
    expect(p.redact(text)).toBe(text);
  });

  test("redactNamed: secret-looking names are replaced whatever the value looks like", () => {
    const p = new Pseudonymizer(KEY);
    expect(p.redactNamed("STRIPE_API_KEY", "x1")).toBe(p.pseudonym("x1"));
    expect(p.redactNamed("LOG_LEVEL", "debug")).toBe("debug");
    // A DSN keeps its user and host: only the password goes.
    expect(p.redactNamed("DATABASE_URL", "postgres://a:pw-999999@h/d")).toBe(`postgres://a:${p.pseudonym("pw-999999")}@h/d`);
    expect(p.redactNamed("BYPASS_CACHE", "true")).toBe("true");
  });
});
