// Seeds moto with a small, realistic estate for the demo: old unattached volumes in
// staging, a young one, a protected one and one in prod. Volumes get an old
// CreateTime by moving moto's clock (it runs under libfaketime; see scripts/peers.sh).
import { writeFileSync } from "node:fs";
import { CreateVolumeCommand, EC2Client } from "@aws-sdk/client-ec2";

const [url, clockFile] = [process.env.MOTO_URL, process.env.MOTO_CLOCK_FILE];
if (!url || !clockFile) throw new Error("MOTO_URL and MOTO_CLOCK_FILE must be set");
const ec2 = new EC2Client({ endpoint: url, region: "us-east-1", credentials: { accessKeyId: "demo", secretAccessKey: "demo" } });

await fetch(`${url}/moto-api/reset`, { method: "POST" });
const estate: [number, Record<string, string>][] = [
  [92, { Environment: "staging", Name: "ci-cache-old" }],
  [61, { Environment: "staging", Name: "migration-scratch" }],
  [40, { Environment: "staging" }],
  [4, { Environment: "staging", Name: "fresh" }],
  [120, { Environment: "staging", Name: "audit-evidence", "opsctl:protect": "true" }],
  [200, { Environment: "prod", Name: "prod-db-old" }],
];
for (const [ageDays, tags] of estate) {
  writeFileSync(clockFile, `-${ageDays}d\n`);
  await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: "us-east-1a",
      Size: 20,
      VolumeType: "gp3",
      TagSpecifications: [{ ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
}
writeFileSync(clockFile, "+0\n");
console.error(`seeded ${estate.length} volumes into moto at ${url}`);
