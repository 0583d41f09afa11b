import { beforeEach, describe, expect, test } from "bun:test";
import { runBin } from "../support/bin.ts";
import { workspace } from "../support/e2e-env.ts";
import { MotoRoute53 } from "../support/route53.ts";

// dns-change through the compiled binary against moto's Route 53. moto serves no DNS,
// so apply verifies through the API and says so in the result.

const r53 = new MotoRoute53();
const Z = "r53e2e.opsctl.test.";
let id: string;

const DESIRED = `records:
  - { name: www, type: A, ttl: 300, values: [192.0.2.10] }
  - { name: "@", type: TXT, ttl: 300, value: "v=spf1 include:example.net -all" }
  - { name: _sip._tcp, type: SRV, ttl: 300, value: "10 5 5060 sip.example.net." }
  - { name: "@", type: CAA, ttl: 300, value: '0 issue "letsencrypt.org"' }
`;

function ws(files: Record<string, string> = { "zone.yaml": DESIRED }) {
  return workspace(r53.url, `dns:\n  provider: route53\n  verifyTimeout: 10s\n  route53: { syncTimeout: 10s }\n`, files);
}

beforeEach(async () => {
  await fetch(`${r53.url}/moto-api/reset`, { method: "POST" });
  id = await r53.zone(Z);
  await r53.put(id, [
    { name: `www.${Z}`, type: "A", ttl: 300, values: ["192.0.2.1"] },
    { name: `old.${Z}`, type: "CNAME", ttl: 300, values: ["gone.example.net."] },
    { name: `keep.${Z}`, type: "A", ttl: 300, values: ["192.0.2.99"] },
  ]);
});

describe("dns-change against moto's Route 53", () => {
  test("dry run shows the exact ChangeResourceRecordSets entries; apply sends one batch and verifies through the API", async () => {
    const w = ws();
    const dry = await runBin(["dns-change", "--environment", "staging", "--zone", Z, "--desired", "zone.yaml", "--dry-run", "--format", "json"], {
      cwd: w.dir,
      env: w.env,
    });
    expect(dry.code).toBe(10);
    const www = dry.json.plan.actions.find((a: { id: string }) => a.id === `www.${Z} A`);
    expect(www.call).toEqual({
      service: "route53",
      operation: "ChangeResourceRecordSets",
      parameters: {
        HostedZoneId: `(hosted zone ${Z})`,
        Changes: [
          { Action: "DELETE", ResourceRecordSet: { Name: `www.${Z}`, Type: "A", TTL: 300, ResourceRecords: [{ Value: "192.0.2.1" }] } },
          { Action: "CREATE", ResourceRecordSet: { Name: `www.${Z}`, Type: "A", TTL: 300, ResourceRecords: [{ Value: "192.0.2.10" }] } },
        ],
      },
    });
    expect(dry.json.plan.checks.find((c: { name: string }) => c.name === "dns.verify").detail).toContain("read back through the Route 53 API, not over DNS");

    const r = await runBin(["dns-change", "--environment", "staging", "--zone", Z, "--desired", "zone.yaml", "--format", "json"], { cwd: w.dir, env: w.env });
    expect(r.code).toBe(0);
    expect(r.json.result.actions.every((a: { status: string }) => a.status === "applied")).toBe(true);
    expect(r.json.result.actions[0].detail).toMatch(
      /^one ChangeResourceRecordSets batch \(.+\) of 4 change\(s\), INSYNC; verified through the Route 53 API, not over DNS \(no DNS server configured: dns\.route53\.nameservers\): 4 record set\(s\) read back as planned$/,
    );
    expect(await r53.dump(id)).toEqual([
      `_sip._tcp.${Z} SRV 300 10 5 5060 sip.example.net.`,
      `keep.${Z} A 300 192.0.2.99`,
      `old.${Z} CNAME 300 gone.example.net.`,
      `${Z} CAA 300 0 issue "letsencrypt.org"`,
      `${Z} TXT 300 "v=spf1 include:example.net -all"`,
      `www.${Z} A 300 192.0.2.10`,
    ]);
    const again = await runBin(["dns-change", "--environment", "staging", "--zone", Z, "--desired", "zone.yaml", "--dry-run"], { cwd: w.dir, env: w.env });
    expect(again.code).toBe(0);
  });

  test("--delete carries the exact before values; a stale saved plan is refused and nothing changes", async () => {
    const w = ws();
    const planned = await runBin(
      ["dns-change", "--environment", "staging", "--zone", Z, "--delete", "old CNAME", "--set", "new A 60 192.0.2.7", "--dry-run", "--out", "plan.json"],
      {
        cwd: w.dir,
        env: w.env,
      },
    );
    expect(planned.code).toBe(10);
    await r53.put(id, [{ name: `old.${Z}`, type: "CNAME", ttl: 300, values: ["moved.example.net."] }]);
    const edited = await r53.dump(id);
    const stale = await runBin(["apply", "plan.json"], { cwd: w.dir, env: w.env });
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain(`old.${Z} CNAME: values as planned (values is now ["moved.example.net."])`);
    expect(await r53.dump(id)).toEqual(edited);

    const fresh = await runBin(["dns-change", "--environment", "staging", "--zone", Z, "--delete", "old CNAME", "--set", "new A 60 192.0.2.7"], {
      cwd: w.dir,
      env: w.env,
    });
    expect(fresh.code).toBe(0);
    const dump = await r53.dump(id);
    expect(dump).toContain(`new.${Z} A 60 192.0.2.7`);
    expect(dump.some((l) => l.startsWith(`old.${Z}`))).toBe(false);
  });

  test("a zone moto does not have is exit 3; an unreachable endpoint is exit 4", async () => {
    const w = ws();
    const none = await runBin(["dns-change", "--environment", "staging", "--zone", "absent.opsctl.test.", "--set", "www A 60 192.0.2.1", "--dry-run"], {
      cwd: w.dir,
      env: w.env,
    });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("Route 53 has no public hosted zone absent.opsctl.test.");
    const down = await runBin(["dns-change", "--environment", "staging", "--zone", Z, "--set", "www A 60 192.0.2.1", "--dry-run"], {
      cwd: w.dir,
      env: { ...w.env, OPSCTL_AWS__ENDPOINT: "http://127.0.0.1:9" },
    });
    expect(down.code).toBe(4);
    expect(down.stderr).toContain("Route 53");
  });
});
