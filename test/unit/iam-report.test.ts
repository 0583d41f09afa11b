import { describe, expect, test } from "bun:test";
import { parseCredentialReport } from "../../src/providers/aws/iam-report.ts";

const HEADER =
  "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

describe("credential report", () => {
  const report = parseCredentialReport(
    [
      HEADER,
      "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
      "bob,arn:aws:iam::123456789012:user/bob,2025-01-01T00:00:00+00:00,true,no_information,2025-01-01T00:00:00+00:00,N/A,false,true,2025-02-01T10:00:00+00:00,2026-08-01T09:00:00+00:00,eu-west-1,s3,false,2025-03-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A",
      // IAM user names may contain commas; the report does not quote them.
      "ops,team,arn:aws:iam::123456789012:user/ops,team,2025-01-01T00:00:00+00:00,false,not_supported,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
    ].join("\n"),
    new Date("2026-11-28T09:30:00Z"),
  );

  test("root is kept apart; N/A, no_information and not_supported are absent values", () => {
    expect(report.root).toMatchObject({ user: "<root_account>", mfaActive: true, keys: [] });
    const bob = report.rows.find((r) => r.user === "bob");
    expect(bob).toMatchObject({ passwordEnabled: true, mfaActive: false });
    expect(bob?.passwordLastUsed).toBeUndefined();
    expect(bob?.keys).toEqual([
      {
        slot: 1,
        active: true,
        lastRotated: new Date("2025-02-01T10:00:00Z"),
        lastUsed: new Date("2026-08-01T09:00:00Z"),
        lastUsedRegion: "eu-west-1",
        lastUsedService: "s3",
      },
      { slot: 2, active: false, lastRotated: new Date("2025-03-01T00:00:00Z") },
    ]);
    expect(report.generatedAt.toISOString()).toBe("2026-11-28T09:30:00.000Z");
  });

  test("a user name with a comma is read whole", () => {
    expect(report.rows.map((r) => r.user)).toEqual(["bob", "ops,team"]);
    expect(report.rows[1]?.arn).toBe("arn:aws:iam::123456789012:user/ops,team");
  });
});
