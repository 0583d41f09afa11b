import { describe, expect, test } from "bun:test";
import type { DesiredEntry } from "../../../src/commands/dns-change/desired.ts";
import { type DiffInput, diffZone, type LiveRRset, threshold } from "../../../src/commands/dns-change/diff.ts";

const Z = "example.com.";
const live: LiveRRset[] = [
  { name: Z, type: "SOA", ttl: 3600, values: ["ns1.example.com. hostmaster.example.com. 1 10800 3600 604800 3600"] },
  { name: Z, type: "NS", ttl: 3600, values: ["ns1.example.com."] },
  { name: `www.${Z}`, type: "A", ttl: 300, values: ["192.0.2.1"] },
  { name: `www.${Z}`, type: "TXT", ttl: 300, values: ['"old"'] },
  { name: `api.${Z}`, type: "A", ttl: 300, values: ["192.0.2.5"] },
  { name: `a.svc.${Z}`, type: "A", ttl: 60, values: ["10.0.0.1"] },
  { name: `legacy.${Z}`, type: "CNAME", ttl: 60, values: ["old.example.net."] },
  { name: `alias.${Z}`, type: "A", ttl: 0, values: [], unmanaged: "a Route 53 alias record" },
];
let line = 1;
const e = (name: string, type: string, ttl: number, ...values: string[]): DesiredEntry => ({ name, type, ttl, values, source: `d.yaml:${++line}`, line });
const base = (entries: DesiredEntry[], extra: Partial<DiffInput> & { prune?: boolean } = {}): DiffInput => ({
  zone: Z,
  live,
  desired: { kind: "file", files: ["d.yaml"], entries, prune: extra.prune ?? false },
  owned: extra.owned ?? [],
  ttl: { min: 30, max: 86400 },
});
const ops = (r: ReturnType<typeof diffZone>) => r.changes.map((c) => `${c.op} ${c.name} ${c.type}`);

describe("diffZone", () => {
  test("create, update, in sync; names outside the file are untouched and listed", () => {
    line = 1;
    const r = diffZone(base([e("www", "A", 300, "192.0.2.2"), e("new", "AAAA", 60, "2001:db8::1"), e("api", "A", 300, "192.0.2.5")]));
    expect(ops(r)).toEqual([`create new.${Z} AAAA`, `update www.${Z} A`]);
    expect(r.changes[1]?.before?.values).toEqual(["192.0.2.1"]);
    expect(r.changes[1]?.after?.values).toEqual(["192.0.2.2"]);
    expect(r.changes[1]?.source).toBe("d.yaml:2");
    expect(r.inSync).toBe(1);
    expect(r.problems).toEqual([]);
    const left = Object.fromEntries(r.untouched.map((u) => [`${u.rrset.name} ${u.rrset.type}`, u.category]));
    expect(left).toEqual({
      [`${Z} SOA`]: "protected",
      [`${Z} NS`]: "protected",
      [`www.${Z} TXT`]: "excluded",
      [`a.svc.${Z} A`]: "out-of-scope",
      [`legacy.${Z} CNAME`]: "out-of-scope",
      [`alias.${Z} A`]: "not-eligible",
    });
  });

  test("--prune deletes owned record sets the file omits: other types at listed names and dns.owned matches, never SOA/NS", () => {
    const r = diffZone(base([e("www", "A", 300, "192.0.2.1")], { prune: true, owned: ["*.svc"] }));
    expect(ops(r)).toEqual([`delete a.svc.${Z} A`, `delete www.${Z} TXT`]);
    expect(r.changes[0]?.why).toBe("--prune: owned by dns.owned pattern *.svc, not in d.yaml");
    expect(r.changes[0]?.before?.values).toEqual(["10.0.0.1"]);
    const without = diffZone(base([e("www", "A", 300, "192.0.2.1")], { owned: ["*.svc"] }));
    expect(ops(without)).toEqual([]);
    expect(without.untouched.find((u) => u.rrset.name === `a.svc.${Z}`)?.reason).toContain("deleted only with --prune");
  });

  test("a CNAME at the apex or beside other types is a problem naming its source", () => {
    line = 1;
    const r = diffZone(base([e("@", "CNAME", 300, "elsewhere.example.net."), e("www", "CNAME", 300, "x.example.net.")]));
    expect(r.problems.map((p) => `${p.check} ${p.source} ${p.message}`)).toEqual([
      `dns.cname d.yaml:2 ${Z} CNAME: a CNAME cannot be at the zone apex`,
      `dns.cname d.yaml:2 ${Z} CNAME cannot sit beside other record types at the same name (NS, SOA)`,
      `dns.cname d.yaml:3 www.${Z} CNAME cannot sit beside other record types at the same name (A, TXT)`,
    ]);
    const legacy = diffZone(base([e("legacy", "A", 300, "192.0.2.9")]));
    expect(legacy.problems.map((p) => p.message)).toEqual([`legacy.${Z} CNAME cannot sit beside other record types at the same name (A)`]);
    // With --prune the CNAME at the listed name goes in the same batch: no conflict.
    expect(diffZone(base([e("legacy", "A", 300, "192.0.2.9")], { prune: true })).problems).toEqual([]);
  });

  test("invalid values, TTL bounds, duplicates and unmanaged record sets are problems", () => {
    line = 1;
    const r = diffZone(base([e("www", "A", 5, "300.1.1.1"), e("www", "A", 300, "192.0.2.1"), e("alias", "A", 60, "192.0.2.1"), e("x", "PTR", 60, "a.")]));
    expect(r.problems.map((p) => `${p.check} ${p.source}`)).toEqual([
      "dns.ttl d.yaml:2",
      "dns.values d.yaml:2",
      "dns.duplicate d.yaml:3",
      "dns.values d.yaml:5",
      "dns.unmanaged d.yaml:4",
    ]);
  });

  test("edits own exactly what they name; a delete of an absent set is nothing to do", () => {
    const r = diffZone({
      zone: Z,
      live,
      desired: {
        kind: "edits",
        sets: [e("api", "A", 60, "192.0.2.6")],
        deletes: [
          { name: "legacy", type: "CNAME", source: "--delete 'legacy CNAME'" },
          { name: "gone", type: "A", source: "--delete 'gone A'" },
        ],
      },
      owned: ["*"],
      ttl: { min: 30, max: 86400 },
    });
    expect(ops(r)).toEqual([`update api.${Z} A`, `delete legacy.${Z} CNAME`]);
    expect(r.untouched.filter((u) => u.category === "out-of-scope").length).toBe(3);
  });
});

describe("threshold", () => {
  const ch = (n: number, op: "create" | "update" | "delete") => Array.from({ length: n }, () => ({ op, name: "x", type: "A", source: "", why: "" }));
  test("updates and deletes over the zone size, only from 10 record sets", () => {
    expect(threshold(Z, 9, ch(9, "delete"), 30, false).status).toBe("passed");
    expect(threshold(Z, 10, ch(3, "update"), 30, false).status).toBe("passed");
    expect(threshold(Z, 10, [...ch(2, "update"), ...ch(2, "delete")], 30, false)).toEqual({
      status: "failed",
      detail: `4 update(s)/delete(s) of 10 record sets in ${Z} (40.0%) > dns.maxChangePercent 30%: review it and pass --allow-large-change, or raise dns.maxChangePercent`,
    });
    expect(threshold(Z, 10, ch(4, "delete"), 30, true).status).toBe("warning");
    expect(threshold(Z, 10, ch(50, "create"), 30, false).status).toBe("passed");
  });
});
