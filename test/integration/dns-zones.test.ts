import { beforeEach, describe, expect, test } from "bun:test";
import { OpsError } from "../../src/core/errors.ts";
import { verifyOverDns } from "../../src/providers/dns/verify.ts";
import type { ZoneChange } from "../../src/providers/dns/zone.ts";
import { createPowerDnsZone } from "../../src/providers/dns/zone-powerdns.ts";
import { createRoute53Zone } from "../../src/providers/dns/zone-route53.ts";
import { PowerDns } from "../support/pdns.ts";
import { MotoRoute53 } from "../support/route53.ts";

// The two zone providers against the real servers: PowerDNS (HTTP API + DNS on its
// port) and moto's Route 53. Each asserts the zone as the server holds it afterwards.

const pdns = new PowerDns();
const Z = "zones.opsctl.test.";
const pz = (over: Partial<Parameters<typeof createPowerDnsZone>[0]> = {}) =>
  createPowerDnsZone({ apiUrl: pdns.url, apiKey: pdns.key, serverId: "localhost", zone: Z, timeoutMs: 5000, keyName: "dns.powerdns.apiKey", ...over });
const refusal = async (p: Promise<unknown>): Promise<OpsError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpsError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
};

describe("PowerDNS zone provider", () => {
  beforeEach(async () => {
    await pdns.zone(Z);
    await pdns.put(Z, [
      { name: `www.${Z}`, type: "A", ttl: 300, values: ["192.0.2.1"] },
      { name: Z, type: "TXT", ttl: 60, values: ['"v=spf1 -all"'] },
      { name: Z, type: "CAA", ttl: 60, values: ['0 issue "letsencrypt.org"'] },
      { name: Z, type: "MX", ttl: 60, values: ["20 mx2.example.net.", "10 mx1.example.net."] },
      { name: `v6.${Z}`, type: "AAAA", ttl: 60, values: ["2001:db8:0::1"] },
    ]);
  });

  test("reads the zone in canonical form", async () => {
    const sets = await pz().readZone();
    const byKey = Object.fromEntries(sets.map((s) => [`${s.name} ${s.type}`, `${s.ttl} ${s.values.join("|")}`]));
    expect(byKey[`www.${Z} A`]).toBe("300 192.0.2.1");
    expect(byKey[`${Z} TXT`]).toBe('60 "v=spf1 -all"');
    expect(byKey[`${Z} CAA`]).toBe('60 0 issue "letsencrypt.org"');
    expect(byKey[`${Z} MX`]).toBe("60 10 mx1.example.net.|20 mx2.example.net.");
    expect(byKey[`v6.${Z} AAAA`]).toBe("60 2001:db8::1");
    expect(byKey[`${Z} SOA`]).toBeDefined();
    expect(await pz().readRRset(`www.${Z}`, "A")).toEqual({ name: `www.${Z}`, type: "A", ttl: 300, values: ["192.0.2.1"] });
    expect(await pz().readRRset(`nope.${Z}`, "A")).toBeUndefined();
  });

  test("create, update and delete in one PATCH; DNS answers the new values", async () => {
    const zone = pz();
    const live = await zone.readZone();
    const find = (n: string, t: string) => live.find((s) => s.name === n && s.type === t);
    const changes: ZoneChange[] = [
      { op: "create", name: `api.${Z}`, type: "A", after: { name: `api.${Z}`, type: "A", ttl: 60, values: ["192.0.2.7", "192.0.2.8"] } },
      { op: "update", name: `www.${Z}`, type: "A", before: find(`www.${Z}`, "A"), after: { name: `www.${Z}`, type: "A", ttl: 120, values: ["192.0.2.2"] } },
      { op: "delete", name: `v6.${Z}`, type: "AAAA", before: find(`v6.${Z}`, "AAAA") },
    ];
    expect((await zone.apply(changes, "test")).detail).toBe(`one PATCH of 3 rrset(s) to ${Z}`);
    expect(await pdns.dump(Z)).toEqual([
      `api.${Z} A 60 192.0.2.7|192.0.2.8`,
      `www.${Z} A 120 192.0.2.2`,
      `${Z} CAA 60 0 issue "letsencrypt.org"`,
      `${Z} MX 60 10 mx1.example.net.|20 mx2.example.net.`,
      `${Z} NS 3600 ns1.${Z}`,
      `${Z} TXT 60 "v=spf1 -all"`,
    ]);
    const v = await verifyOverDns(
      [
        { name: `api.${Z}`, type: "A", values: ["192.0.2.8", "192.0.2.7"] },
        { name: `www.${Z}`, type: "A", values: ["192.0.2.2"] },
        { name: `v6.${Z}`, type: "AAAA", values: [] },
        { name: Z, type: "CAA", values: ['0 issue "letsencrypt.org"'] },
        { name: Z, type: "TXT", values: ['"v=spf1 -all"'] },
        { name: Z, type: "MX", values: ["10 mx1.example.net.", "20 mx2.example.net."] },
      ],
      { servers: [pdns.dnsServer], timeoutMs: 10_000 },
    );
    expect(v.pending).toEqual([]);
  });

  test("a before value that moved refuses the whole batch; nothing changes", async () => {
    const zone = pz();
    const before = await zone.readRRset(`www.${Z}`, "A");
    await pdns.put(Z, [{ name: `www.${Z}`, type: "A", ttl: 300, values: ["198.51.100.1"] }]);
    const snapshot = await pdns.dump(Z);
    const e = await refusal(
      zone.apply(
        [
          { op: "create", name: `api.${Z}`, type: "A", after: { name: `api.${Z}`, type: "A", ttl: 60, values: ["192.0.2.7"] } },
          { op: "update", name: `www.${Z}`, type: "A", before, after: { name: `www.${Z}`, type: "A", ttl: 60, values: ["192.0.2.2"] } },
        ],
        "test",
      ),
    );
    expect(e.exit).toBe("validation");
    expect(e.problems[0]?.message).toBe(`www.${Z} A changed since the plan (300 192.0.2.1 → 300 198.51.100.1): nothing was changed`);
    expect(await pdns.dump(Z)).toEqual(snapshot);
  });

  test("a batch the server rejects (422) changes nothing", async () => {
    const snapshot = await pdns.dump(Z);
    const e = await refusal(
      pz().apply(
        [
          { op: "create", name: `api.${Z}`, type: "A", after: { name: `api.${Z}`, type: "A", ttl: 60, values: ["192.0.2.7"] } },
          { op: "create", name: `www.${Z}`, type: "CNAME", after: { name: `www.${Z}`, type: "CNAME", ttl: 60, values: ["api.example.net."] } },
        ],
        "test",
      ),
    );
    expect(e.exit).toBe("validation");
    expect(e.problems[0]?.message).toContain("answered 422");
    expect(await pdns.dump(Z)).toEqual(snapshot);
  });

  test("bad API key, unreachable API and a missing zone", async () => {
    const bad = await refusal(pz({ apiKey: "canary-wrong-key-7f3a" }).readZone());
    expect(bad.exit).toBe("remote");
    expect(bad.message).toContain("rejected the API key (401): check dns.powerdns.apiKey");
    expect(JSON.stringify(bad.problems)).not.toContain("canary-wrong-key-7f3a");
    const down = await refusal(pz({ apiUrl: "http://127.0.0.1:9" }).readZone());
    expect(down.exit).toBe("remote");
    expect(down.message).toContain("cannot reach PowerDNS at http://127.0.0.1:9");
    const missing = await refusal(pz({ zone: "absent.opsctl.test." }).readZone());
    expect(missing.exit).toBe("validation");
  });

  test("verification reports what did not converge when the time is up", async () => {
    const v = await verifyOverDns([{ name: `www.${Z}`, type: "A", values: ["203.0.113.9"] }], { servers: [pdns.dnsServer], timeoutMs: 600, pollMs: 200 });
    expect(v.pending).toEqual([{ name: `www.${Z}`, type: "A", values: ["203.0.113.9"], got: ["192.0.2.1"] }]);
  });
});

describe("Route 53 zone provider (moto)", () => {
  const r53 = new MotoRoute53();
  const RZ = "r53.opsctl.test.";
  let id: string;
  const rz = (pageSize?: number) =>
    createRoute53Zone({
      region: "us-east-1",
      endpoint: r53.url,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      maxAttempts: 1,
      requestTimeoutMs: 5000,
      zone: RZ,
      hostedZoneId: id,
      syncTimeoutMs: 10_000,
      pollMs: 100,
      ...(pageSize ? { pageSize } : {}),
    });

  beforeEach(async () => {
    await fetch(`${r53.url}/moto-api/reset`, { method: "POST" });
    id = await r53.zone(RZ);
    await r53.put(id, [
      { name: `www.${RZ}`, type: "A", ttl: 300, values: ["192.0.2.1"] },
      { name: RZ, type: "TXT", ttl: 60, values: ['"v=spf1 -all"'] },
      ...Array.from({ length: 6 }, (_, i) => ({ name: `h${i}.${RZ}`, type: "A", ttl: 60, values: [`192.0.2.${20 + i}`] })),
    ]);
  });

  test("reads every page of the zone", async () => {
    const sets = await (await rz(3)).readZone();
    expect(sets.length).toBe(10); // SOA, NS, TXT, www, h0..h5
    expect(sets.find((s) => s.name === `www.${RZ}`)).toEqual({ name: `www.${RZ}`, type: "A", ttl: 300, values: ["192.0.2.1"] });
  });

  test("one batch: CREATE, DELETE+CREATE for an update, DELETE with the exact before values", async () => {
    const zone = await rz();
    const www = await zone.readRRset(`www.${RZ}`, "A");
    const h0 = await zone.readRRset(`h0.${RZ}`, "A");
    const changes: ZoneChange[] = [
      { op: "create", name: `api.${RZ}`, type: "A", after: { name: `api.${RZ}`, type: "A", ttl: 60, values: ["192.0.2.7"] } },
      { op: "update", name: `www.${RZ}`, type: "A", before: www, after: { name: `www.${RZ}`, type: "A", ttl: 120, values: ["192.0.2.2"] } },
      { op: "delete", name: `h0.${RZ}`, type: "A", before: h0 },
    ];
    expect(zone.call(changes[1] as ZoneChange).parameters.Changes).toEqual([
      { Action: "DELETE", ResourceRecordSet: { Name: `www.${RZ}`, Type: "A", TTL: 300, ResourceRecords: [{ Value: "192.0.2.1" }] } },
      { Action: "CREATE", ResourceRecordSet: { Name: `www.${RZ}`, Type: "A", TTL: 120, ResourceRecords: [{ Value: "192.0.2.2" }] } },
    ]);
    expect((await zone.apply(changes, "test")).detail).toMatch(/^one ChangeResourceRecordSets batch \(.+\) of 3 change\(s\), INSYNC$/);
    const dump = await r53.dump(id);
    expect(dump).toContain(`api.${RZ} A 60 192.0.2.7`);
    expect(dump).toContain(`www.${RZ} A 120 192.0.2.2`);
    expect(dump.some((l) => l.startsWith(`h0.${RZ}`))).toBe(false);
  });

  // moto accepts a DELETE matching any values the set ever had (its journal), so the
  // provider's own re-read is what refuses here; Route 53 itself also would.
  test("a DELETE whose before values moved refuses the whole batch; nothing changes", async () => {
    const zone = await rz();
    const www = await zone.readRRset(`www.${RZ}`, "A");
    await r53.put(id, [{ name: `www.${RZ}`, type: "A", ttl: 300, values: ["198.51.100.1"] }]);
    const snapshot = await r53.dump(id);
    const e = await refusal(
      zone.apply(
        [
          { op: "create", name: `api.${RZ}`, type: "A", after: { name: `api.${RZ}`, type: "A", ttl: 60, values: ["192.0.2.7"] } },
          { op: "delete", name: `www.${RZ}`, type: "A", before: www },
        ],
        "test",
      ),
    );
    expect(e.exit).toBe("validation");
    expect(e.message).toBe(`www.${RZ} A changed since the plan (300 192.0.2.1 → 300 198.51.100.1): nothing was changed`);
    expect(await r53.dump(id)).toEqual(snapshot);
  });

  test("a zone id that names another zone, and no zone by that name", async () => {
    const other = await r53.zone("other.opsctl.test.");
    const wrong = await createRoute53Zone({
      region: "us-east-1",
      endpoint: r53.url,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      maxAttempts: 1,
      requestTimeoutMs: 5000,
      zone: RZ,
      hostedZoneId: other,
      syncTimeoutMs: 1000,
    });
    expect((await refusal(wrong.readZone())).message).toBe(`Route 53 hosted zone ${other} is not ${RZ}`);
    const none = await createRoute53Zone({
      region: "us-east-1",
      endpoint: r53.url,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      maxAttempts: 1,
      requestTimeoutMs: 5000,
      zone: "absent.opsctl.test.",
      syncTimeoutMs: 1000,
    });
    expect((await refusal(none.readZone())).message).toBe("Route 53 has no public hosted zone absent.opsctl.test.");
  });
});
