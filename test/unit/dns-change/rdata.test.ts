import { describe, expect, test } from "bun:test";
import { canonicalValue, compressIPv6, qualify, txtText } from "../../../src/providers/dns/rdata.ts";

const ok = (type: string, raw: string) => {
  const r = canonicalValue(type, raw);
  if ("error" in r) throw new Error(r.error);
  return r.value;
};
const err = (type: string, raw: string) => {
  const r = canonicalValue(type, raw);
  if (!("error" in r)) throw new Error(`accepted ${raw} as ${r.value}`);
  return r.error;
};

describe("record values in canonical presentation form", () => {
  test("A and AAAA", () => {
    expect(ok("A", " 192.0.2.1 ")).toBe("192.0.2.1");
    expect(err("A", "192.0.2.300")).toContain("not an IPv4 address");
    expect(err("A", "example.com")).toContain("not an IPv4");
    expect(ok("AAAA", "2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(compressIPv6("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(compressIPv6("0:0:0:0:0:0:0:1")).toBe("::1");
    expect(compressIPv6("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2:3:4:5:6");
    expect(err("AAAA", "192.0.2.1")).toContain("not an IPv6");
  });

  test("names are absolute and lower-case", () => {
    expect(ok("CNAME", "WWW.Example.com")).toBe("www.example.com.");
    expect(ok("NS", "ns1.example.net.")).toBe("ns1.example.net.");
    expect(err("CNAME", "bad_name!.com")).toContain("not a host name");
  });

  test("MX, SRV and CAA fields", () => {
    expect(ok("MX", "10   Mail.example.com")).toBe("10 mail.example.com.");
    expect(err("MX", "mail.example.com")).toContain("PRIORITY HOST");
    expect(err("MX", "70000 mail.example.com.")).toContain("priority 70000 is not 0-65535");
    expect(ok("SRV", "10 5 5060 sip.example.com.")).toBe("10 5 5060 sip.example.com.");
    expect(err("SRV", "10 5 sip.example.com.")).toContain("PRIORITY WEIGHT PORT TARGET");
    expect(ok("CAA", "0 issue letsencrypt.org")).toBe('0 issue "letsencrypt.org"');
    expect(ok("CAA", '0 ISSUE "letsencrypt.org"')).toBe('0 issue "letsencrypt.org"');
    expect(err("CAA", "300 issue x")).toContain("0-255");
  });

  test("TXT: plain text is quoted and split at 255 bytes; presentation form is kept", () => {
    expect(ok("TXT", "v=spf1 -all")).toBe('"v=spf1 -all"');
    expect(ok("TXT", 'say "hi"')).toBe('"say \\"hi\\""');
    expect(ok("TXT", '"a" "b"')).toBe('"a" "b"');
    const long = "x".repeat(300);
    expect(ok("TXT", long)).toBe(`"${"x".repeat(255)}" "${"x".repeat(45)}"`);
    expect(txtText(ok("TXT", long))).toBe(long);
    expect(err("TXT", '"open')).toContain("unterminated");
  });

  test("unsupported types are named", () => {
    expect(err("PTR", "x.")).toContain("not supported");
  });
});

describe("record names", () => {
  test("@, relative and absolute names", () => {
    expect(qualify("@", "example.com")).toEqual({ name: "example.com." });
    expect(qualify("www", "example.com.")).toEqual({ name: "www.example.com." });
    expect(qualify("WWW.example.com.", "example.com.")).toEqual({ name: "www.example.com." });
    expect(qualify("*.dev", "example.com.")).toEqual({ name: "*.dev.example.com." });
    expect(qualify("_sip._tcp", "example.com.")).toEqual({ name: "_sip._tcp.example.com." });
  });
  test("outside the zone or malformed", () => {
    expect(qualify("www.other.org.", "example.com.")).toEqual({ error: "www.other.org. is not inside zone example.com." });
    expect("error" in qualify("bad..name", "example.com.")).toBe(true);
    expect("error" in qualify("a.*.b", "example.com.")).toBe(true);
  });
});
