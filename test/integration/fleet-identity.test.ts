import { beforeEach, describe, expect, test } from "bun:test";
import { ApiBudget } from "../../src/providers/aws/budget.ts";
import { assumeScope } from "../../src/providers/aws/identity.ts";
import type { AwsClientOptions } from "../../src/providers/aws/options.ts";
import { FleetMoto, type Keys, roleArn } from "../support/fleet-moto.ts";

// Role chains against moto-auth (IAM enforced): who the chain ends as, which link broke,
// and that a session close to its expiry is renewed before it is used again.

const A = "111111111111";
const B = "222222222222";
const C = "333333333333";
const moto = new FleetMoto();
let operator: Keys;
let budget: ApiBudget;

const base = (): AwsClientOptions => ({
  region: "us-east-1",
  endpoint: moto.url,
  credentials: operator,
  maxAttempts: 1,
  requestTimeoutMs: 10_000,
  budget,
  account: A,
});
const assumeRoleCalls = () => budget.usage().operations.find((o) => o.service === "sts" && o.operation === "AssumeRole")?.calls ?? 0;

beforeEach(async () => {
  operator = await moto.setup([A, B, C], [C]);
  budget = new ApiBudget({ share: 0.5, operations: {} });
});

describe("assumeScope", () => {
  test("a chain is assumed in order; STS names the last role's session; each AssumeRole is counted in the budget", async () => {
    const s = await assumeScope(base(), { roles: [roleArn(A), roleArn(B)], sessionName: "opsctl-test" });
    expect(s.identity).toEqual({ account: B, callerArn: `arn:aws:sts::${B}:assumed-role/opsctl/opsctl-test`, roles: [roleArn(A), roleArn(B)] });
    expect(assumeRoleCalls()).toBe(2);
  });

  test("a link that cannot be assumed is named with the server's error (AccessDenied), as a remote failure", async () => {
    // The operator may not assume C's role (its own policy denies it); the chain breaks at its first link.
    const e = await assumeScope(base(), { roles: [roleArn(C), roleArn(A)], sessionName: "t" }).catch((x) => x);
    expect(e.exit).toBe("remote");
    expect(e.message).toContain(`cannot assume role ${roleArn(C)}: AccessDenied`);
    expect(e.message).not.toContain(roleArn(A));
    // From A's role (which may do anything) C's role can be assumed: the denial is the operator's, not C's.
    const via = await assumeScope(base(), { roles: [roleArn(A), roleArn(C)], sessionName: "t" });
    expect(via.identity.account).toBe(C);
  });

  test("a session within 5 minutes of expiry is renewed before it is used again; a fresh one is not", async () => {
    // Assumed while moto's clock is 56 minutes behind: the one-hour session ends 4 minutes from now.
    moto.setClock("-56m");
    let s: Awaited<ReturnType<typeof assumeScope>>;
    try {
      s = await assumeScope(base(), { roles: [roleArn(A)], sessionName: "t" });
    } finally {
      moto.setClock("+0");
    }
    const before = assumeRoleCalls();
    expect(before).toBeGreaterThanOrEqual(1);
    const renewed = await s.credentials();
    expect(assumeRoleCalls()).toBe(before + 1);
    expect((renewed.expiration as Date).getTime() - Date.now()).toBeGreaterThan(50 * 60_000);
    const again = await s.credentials();
    expect(assumeRoleCalls()).toBe(before + 1);
    expect(again.accessKeyId).toBe(renewed.accessKeyId);
  });
});
