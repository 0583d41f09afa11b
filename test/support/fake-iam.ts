import type { Population } from "../../src/commands/access-review/population.ts";
import type { IamPort } from "../../src/providers/aws/iam.ts";

/**
 * FAKE IAM port serving a fixed population, for golden view tests only (the behaviour
 * is tested against moto's IAM in test/e2e/access-review.test.ts).
 */
export function fakeIam(p: Population): IamPort {
  const user = (n: string) => p.users.find((u) => u.name === n);
  const d = (s?: string) => (s ? new Date(s) : undefined);
  const refuse = async (): Promise<never> => {
    throw new Error("FAKE IAM is read-only");
  };
  return {
    credentialReport: async () => ({
      generatedAt: new Date(p.report.generatedAt),
      rows: p.users.map((u) => ({
        user: u.name,
        arn: u.arn,
        passwordEnabled: Boolean(u.password),
        mfaActive: u.mfaDevices.length > 0,
        keys: u.keys.map((k, i) => ({
          slot: (i + 1) as 1 | 2,
          active: k.status === "Active",
          lastRotated: new Date(k.created),
          ...(k.report?.lastUsed ? { lastUsed: new Date(k.report.lastUsed) } : k.lastUsed ? { lastUsed: new Date(k.lastUsed) } : {}),
        })),
      })),
    }),
    listUsers: async () =>
      p.users.map((u) => ({
        name: u.name,
        id: u.id,
        arn: u.arn,
        createDate: new Date(u.created),
        ...(u.password?.lastUsed ? { passwordLastUsed: new Date(u.password.lastUsed) } : {}),
      })),
    listAccessKeys: async (n) => user(n)?.keys.map((k) => ({ id: k.id, userName: n, status: k.status, createDate: new Date(k.created) })),
    accessKeyLastUsed: async (id) => {
      const u = p.users.find((x) => x.keys.some((k) => k.id === id));
      const k = u?.keys.find((x) => x.id === id);
      return u && k
        ? {
            userName: u.name,
            ...(k.lastUsed ? { lastUsed: d(k.lastUsed) } : {}),
            ...(k.lastUsedService ? { service: k.lastUsedService } : {}),
            ...(k.lastUsedRegion ? { region: k.lastUsedRegion } : {}),
          }
        : undefined;
    },
    listMfaDevices: async (n) => (user(n)?.mfaDevices ?? []).map((serial) => ({ serial })),
    listAttachedUserPolicies: async (n) => (user(n)?.managedPolicies ?? []).map((arn) => ({ arn, name: arn.split("/").pop() ?? arn })),
    listUserPolicies: async (n) => user(n)?.inlinePolicies ?? [],
    listGroupsForUser: async (n) => user(n)?.groups ?? [],
    loginProfile: async (n) => (user(n)?.password ? { createDate: new Date(user(n)?.password?.created as string) } : undefined),
    listUserTags: async (n) => user(n)?.tags ?? {},
    updateAccessKey: refuse,
    deleteAccessKey: refuse,
    deleteLoginProfile: refuse,
    tagUser: refuse,
  };
}
