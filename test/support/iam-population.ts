import type { PopUser, Population } from "../../src/commands/access-review/population.ts";

// A fixed population for unit and golden tests (frozen clock 2026-11-28T12:00:00Z).
const at = (daysAgo: number) => new Date(Date.parse("2026-11-28T12:00:00.000Z") - daysAgo * 86_400_000).toISOString();

const user = (name: string, o: Partial<PopUser> = {}): PopUser => ({
  name,
  id: `AIDA${name.toUpperCase().padEnd(16, "X")}`,
  arn: `arn:aws:iam::123456789012:user/${name}`,
  created: at(400),
  mfaDevices: [],
  groups: [],
  managedPolicies: [],
  inlinePolicies: [],
  tags: {},
  keys: [],
  inReport: true,
  ...o,
});

export function fixturePopulation(): Population {
  return {
    account: "123456789012",
    asOf: "2026-11-28T12:00:00.000Z",
    report: { generatedAt: "2026-11-28T09:30:00.000Z", root: { passwordEnabled: true, mfaActive: true, activeKeys: 0 } },
    users: [
      user("alice", { keys: [{ id: "AKIAALICEFRESH000001", status: "Active", created: at(2) }], groups: ["developers"] }),
      user("bob", {
        keys: [
          {
            id: "AKIABOBSTALE00000001",
            status: "Active",
            created: at(200),
            lastUsed: at(120),
            lastUsedService: "s3",
            lastUsedRegion: "eu-west-1",
            report: { lastUsed: at(121) },
          },
        ],
        managedPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
      }),
      user("carol", { keys: [{ id: "AKIACAROLNEVER000001", status: "Active", created: at(30) }] }),
      user("dave", {
        keys: [
          { id: "AKIADAVEINUSE0000001", status: "Active", created: at(60), lastUsed: at(1), lastUsedService: "sts", lastUsedRegion: "us-east-1" },
          { id: "AKIADAVESTALE0000002", status: "Active", created: at(300), lastUsed: at(150), lastUsedService: "ec2", lastUsedRegion: "us-east-1" },
        ],
        inlinePolicies: ["deploy"],
      }),
      user("erin", {
        tags: { "opsctl:access-review": "exempt" },
        keys: [{ id: "AKIAERINEXEMPT000001", status: "Active", created: at(500), lastUsed: at(400) }],
      }),
      user("frank", { keys: [{ id: "AKIAFRANKBREAKGLASS1", status: "Active", created: at(700) }] }),
      user("grace", { password: { created: at(100), lastUsed: at(3) }, groups: ["support"] }),
      user("heidi", { password: { created: at(100), lastUsed: at(5) }, mfaDevices: ["arn:aws:iam::123456789012:mfa/heidi"] }),
      user("ivan", { created: at(200) }),
      user("judy", { keys: [{ id: "AKIAJUDYOLDOFF000001", status: "Inactive", created: at(400), lastUsed: at(390) }], created: at(450) }),
    ],
  };
}

export const FIXTURE_NOW = new Date("2026-11-28T12:00:00.000Z");
