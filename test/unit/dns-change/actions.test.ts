import { describe, expect, test } from "bun:test";
import { changeFromAction, zonePlan } from "../../../src/commands/dns-change/actions.ts";
import { diffZone, type LiveRRset } from "../../../src/commands/dns-change/diff.ts";
import { unmetPreconditions } from "../../../src/core/preconditions.ts";

const Z = "example.com.";
const live: LiveRRset[] = [
  { name: Z, type: "SOA", ttl: 3600, values: ["x"] },
  { name: `www.${Z}`, type: "A", ttl: 300, values: ["192.0.2.1"] },
  { name: `old.${Z}`, type: "A", ttl: 300, values: ["192.0.2.9"] },
];
const plan = (prune: boolean) =>
  zonePlan({
    zone: Z,
    provider: "powerdns",
    diff: diffZone({
      zone: Z,
      live,
      desired: {
        kind: "file",
        files: ["d.yaml"],
        prune,
        entries: [
          { name: "www", type: "A", ttl: 60, values: ["192.0.2.2"], source: "d.yaml:3", line: 3 },
          { name: "new", type: "TXT", ttl: 60, values: ["hello"], source: "d.yaml:7", line: 7 },
        ],
      },
      owned: ["old"],
      ttl: { min: 30, max: 86400 },
    }),
    zoneSize: live.length,
    call: (c) => ({ service: "powerdns", operation: "PATCH /zones/example.com.", parameters: { op: c.op } }),
    maxChangePercent: 30,
    allowLargeChange: false,
    ttl: { min: 30, max: 86400 },
  });

describe("zonePlan", () => {
  test("actions carry before/after, reason, call and the before values as preconditions", () => {
    const p = plan(true);
    expect(p.actions.map((a) => `${a.operation} ${a.id}`)).toEqual([`create new.${Z} TXT`, `delete old.${Z} A`, `update www.${Z} A`]);
    const www = p.actions[2];
    expect(www?.reason.summary).toBe("d.yaml:3: 300 192.0.2.1 → 60 192.0.2.2");
    expect(www?.resource.name).toBe("www");
    expect(www?.resource.attributes).toEqual({
      zone: Z,
      name: `www.${Z}`,
      provider: "powerdns",
      type: "A",
      beforeTtl: 300,
      beforeValues: ["192.0.2.1"],
      ttl: 60,
      values: ["192.0.2.2"],
    });
    expect(unmetPreconditions(www?.preconditions ?? [], { ttl: 300, values: ["192.0.2.1"] })).toEqual([]);
    expect(unmetPreconditions(www?.preconditions ?? [], { ttl: 300, values: ["192.0.2.5"] })).toEqual(['values as planned (values is now ["192.0.2.5"])']);
    expect(unmetPreconditions(p.actions[0]?.preconditions ?? [], { values: [] })).toEqual([]);
    expect(unmetPreconditions(p.actions[0]?.preconditions ?? [], { ttl: 60, values: ['"x"'] }).length).toBe(1);
    expect(p.actions[1]?.reason.summary).toBe("--prune: 300 192.0.2.9 → absent");
    for (const a of p.actions)
      expect(changeFromAction(a) as unknown).toEqual({
        op: a.operation,
        name: a.resource.attributes.name,
        type: a.resource.attributes.type,
        ...(a.operation === "create" ? {} : { before: expect.anything() }),
        ...(a.operation === "delete" ? {} : { after: expect.anything() }),
      });
    expect(changeFromAction(www as never)).toEqual({
      op: "update",
      name: `www.${Z}`,
      type: "A",
      before: { name: `www.${Z}`, type: "A", ttl: 300, values: ["192.0.2.1"] },
      after: { name: `www.${Z}`, type: "A", ttl: 60, values: ["192.0.2.2"] },
    });
  });

  test("checks say what was read, what was not validated, the threshold and the untouched count", () => {
    const p = plan(false);
    expect(p.checks.map((c) => `${c.name} ${c.status}`)).toEqual([
      "dns.live-read passed",
      "dns.not-validated warning",
      "dns.records passed",
      "dns.threshold passed",
      "dns.untouched passed",
    ]);
    expect(p.checks[4]?.detail).toBe(
      `${Z}: 2 record set(s) left untouched (not owned: 0, protected SOA/NS: 1, owned but kept without --prune: 1, not manageable: 0); 0 already as desired`,
    );
    expect(p.skipped.map((s) => `${s.resource.id} ${s.category}`)).toEqual([`${Z} SOA protected`, `old.${Z} A excluded`]);
  });
});
