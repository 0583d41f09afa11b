import { beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { runBin } from "../support/bin.ts";
import { RotateWorld, ZONE } from "../support/rotate-env.ts";

// dns-01 through Route 53 (moto). moto's DNS cannot be queried, so the CA is Pebble in
// always-valid mode; the test watches the zone during the run to see the challenge
// record appear and checks that it is gone afterwards.
const T = 90_000; // a real issuance per test: beyond bun's 5 s default when run alone

const w = new RotateWorld();
const r53 = new Route53Client({ endpoint: w.p.MOTO_URL, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
let zoneId: string;
let soon: string;

async function txt(): Promise<{ name: string; values: string[] }[]> {
  const r = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return (r.ResourceRecordSets ?? [])
    .filter((s) => s.Type === "TXT")
    .map((s) => ({ name: s.Name as string, values: (s.ResourceRecords ?? []).map((x) => x.Value as string) }));
}

function route53Workspace(zone = ZONE) {
  const ws = w.workspace({ hosts: false, directoryUrl: w.p.PEBBLE_VALID_DIRECTORY_URL });
  const file = join(ws.dir, "opsctl.config.yaml");
  const cfg = readFileSync(file, "utf8")
    .replace(w.p.PEBBLE_CA_CERT as string, w.p.PEBBLE_VALID_CA_CERT as string)
    .replace(w.p.PEBBLE_ISSUER_ROOT as string, w.p.PEBBLE_VALID_ISSUER_ROOT as string)
    .replace(`  dns:\n    zone: ${ZONE}\n`, `  dns:\n    provider: route53\n    zone: ${zone}\n`);
  writeFileSync(file, cfg);
  return ws;
}

beforeEach(async () => {
  await w.reset();
  const z = await r53.send(new CreateHostedZoneCommand({ Name: ZONE, CallerReference: `opsctl-${Date.now()}` }));
  zoneId = String(z.HostedZone?.Id).replace("/hostedzone/", "");
  // Someone else's TXT record at another name must survive.
  await r53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [{ Action: "UPSERT", ResourceRecordSet: { Name: `keep.${ZONE}`, Type: "TXT", TTL: 300, ResourceRecords: [{ Value: '"v=keep"' }] } }],
      },
    }),
  );
  soon = await w.acmCert(5);
}, T);

describe("rotate-cert with Route 53", () => {
  test(
    "dry run checks the hosted zone; apply publishes the challenge in Route 53, removes it, re-imports into ACM",
    async () => {
      const ws = route53Workspace();
      const dry = await runBin(["rotate-cert", "--environment", "prod", "--service", "api", "--dry-run", "--format", "json"], { cwd: ws.dir, env: ws.env });
      expect(dry.code).toBe(10);
      expect(dry.json.plan.checks.find((c: { name: string }) => c.name === "dns.zone").detail).toBe(`Route 53 accepts the credentials; zone ${ZONE} exists`);
      expect(dry.json.plan.actions[0].steps[0].parameters.dnsProvider).toBe("route53");

      const seen = new Set<string>();
      const before = await w.acmState(soon);
      const r = await runBin(["rotate-cert", "--environment", "prod", "--service", "api", "--yes", "--format", "json"], {
        cwd: ws.dir,
        env: ws.env,
        during: async (proc) => {
          while (proc.exitCode === null) {
            for (const s of await txt()) seen.add(s.name);
            await new Promise((res) => setTimeout(res, 10));
          }
        },
      });
      expect(r.code).toBe(0);
      expect(seen.has(`_acme-challenge.api.${ZONE}`)).toBe(true);
      expect(await txt()).toEqual([{ name: `keep.${ZONE}`, values: ['"v=keep"'] }]);
      const after = await w.acmState(soon);
      expect(after.serial).toBe(r.json.result.actions[0].outputs.serial);
      expect(after.notAfter.getTime()).toBeGreaterThan(before.notAfter.getTime());
    },
    T,
  );

  test(
    "a hosted zone that does not exist is a failed check: exit 3, nothing ordered",
    async () => {
      const ws = route53Workspace("elsewhere.test.");
      const r = await runBin(["rotate-cert", "--environment", "prod", "--service", "api", "--yes"], { cwd: ws.dir, env: ws.env });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("dns.zone: Route 53 has no public hosted zone elsewhere.test.");
      expect((await w.acmState(soon)).notAfter.getTime()).toBeLessThan(Date.now() + 6 * 86_400_000);
    },
    T,
  );
});
