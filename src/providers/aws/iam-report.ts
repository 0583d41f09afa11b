import { parseCsv } from "../../core/csv.ts";

/** One access-key slot of a credential report row (the report names keys by slot, never by id). */
export interface ReportKey {
  slot: 1 | 2;
  active: boolean;
  /** access_key_N_last_rotated: the key's creation time (how the slot is matched to a key id). */
  lastRotated?: Date;
  lastUsed?: Date;
  lastUsedRegion?: string;
  lastUsedService?: string;
}

export interface ReportRow {
  user: string;
  arn: string;
  userCreationTime?: Date;
  passwordEnabled: boolean;
  passwordLastUsed?: Date;
  mfaActive: boolean;
  keys: ReportKey[];
}

export interface CredentialReport {
  generatedAt: Date;
  /** The account root's row (`<root_account>`), kept apart: it is not an IAM user. */
  root?: ReportRow;
  rows: ReportRow[];
}

const ROOT = "<root_account>";

/**
 * Parses GetCredentialReport's CSV. IAM user names may contain commas and the report
 * does not quote them: the name appears in the user and the arn column, so a row with
 * 2k extra fields has k commas in each of the two.
 */
export function parseCredentialReport(content: string, generatedAt: Date): CredentialReport {
  const records = parseCsv(content);
  const header = records[0]?.fields ?? [];
  const col = (name: string) => header.indexOf(name);
  if (col("user") !== 0 || col("arn") !== 1) throw new Error(`unexpected credential report header: ${header.slice(0, 3).join(",")}`);
  const report: CredentialReport = { generatedAt, rows: [] };
  for (const { fields: raw } of records.slice(1)) {
    const k = Math.max(0, Math.floor((raw.length - header.length) / 2));
    const fields = k ? [raw.slice(0, k + 1).join(","), raw.slice(k + 1, 2 * k + 2).join(","), ...raw.slice(2 * k + 2)] : raw;
    const get = (name: string) => {
      const i = col(name);
      return i < 0 ? undefined : fields[i];
    };
    const key = (slot: 1 | 2): ReportKey => ({
      slot,
      active: get(`access_key_${slot}_active`) === "true",
      ...opt("lastRotated", date(get(`access_key_${slot}_last_rotated`))),
      ...opt("lastUsed", date(get(`access_key_${slot}_last_used_date`))),
      ...opt("lastUsedRegion", text(get(`access_key_${slot}_last_used_region`))),
      ...opt("lastUsedService", text(get(`access_key_${slot}_last_used_service`))),
    });
    const row: ReportRow = {
      user: fields[0] ?? "",
      arn: fields[1] ?? "",
      ...opt("userCreationTime", date(get("user_creation_time"))),
      passwordEnabled: get("password_enabled") === "true",
      ...opt("passwordLastUsed", date(get("password_last_used"))),
      mfaActive: get("mfa_active") === "true",
      // A slot with neither a creation time nor an active flag holds no key.
      keys: [key(1), key(2)].filter((k) => k.active || k.lastRotated),
    };
    if (row.user === ROOT) report.root = row;
    else report.rows.push(row);
  }
  return report;
}

/** The report writes N/A, no_information, not_supported for "nothing"; only ISO times are dates. */
function date(s: string | undefined): Date | undefined {
  if (!s || !/^\d{4}-\d\d-\d\dT/.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function text(s: string | undefined): string | undefined {
  return s && s !== "N/A" && s !== "not_supported" && s !== "no_information" ? s : undefined;
}

function opt<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}
