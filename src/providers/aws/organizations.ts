import { type AwsClientOptions, awsClient } from "./options.ts";

export interface OrgAccount {
  id: string;
  name: string;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED (the newer State, else the older Status). */
  state: string;
  tags: Record<string, string>;
}

export interface OrganizationsPort {
  /**
   * The organization's accounts (every one), or with a parent (an OU `ou-…` or the root
   * `r-…`) the accounts under it, its child OUs included, recursively; each with its tags.
   */
  accounts(parent?: string): Promise<OrgAccount[]>;
}

/** Read-only: `opsctl targets sync` lists the organization; a plan never does. */
export async function createOrganizations(opts: AwsClientOptions): Promise<OrganizationsPort> {
  const sdk = await import("@aws-sdk/client-organizations");
  const client = awsClient(sdk.OrganizationsClient, "organizations", opts);

  async function tagsOf(id: string): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    for await (const page of sdk.paginateListTagsForResource({ client }, { ResourceId: id })) {
      for (const t of page.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? "";
    }
    return tags;
  }

  type Raw = { Id?: string; Name?: string; State?: string; Status?: string };
  const toAccount = async (a: Raw): Promise<OrgAccount> => ({
    id: a.Id ?? "",
    name: a.Name ?? "",
    state: String(a.State ?? a.Status ?? "UNKNOWN").toUpperCase(),
    tags: a.Id ? await tagsOf(a.Id) : {},
  });

  async function under(parent: string, seen: Set<string>): Promise<Raw[]> {
    // An OU is visited once even if the API were to list it twice.
    if (seen.has(parent)) return [];
    seen.add(parent);
    const out: Raw[] = [];
    for await (const page of sdk.paginateListAccountsForParent({ client, pageSize: 20 }, { ParentId: parent })) out.push(...(page.Accounts ?? []));
    for await (const page of sdk.paginateListOrganizationalUnitsForParent({ client, pageSize: 20 }, { ParentId: parent })) {
      for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) out.push(...(await under(ou.Id, seen)));
    }
    return out;
  }

  return {
    async accounts(parent) {
      const raw: Raw[] = [];
      if (parent) raw.push(...(await under(parent, new Set())));
      else for await (const page of sdk.paginateListAccounts({ client, pageSize: 20 }, {})) raw.push(...(page.Accounts ?? []));
      const out: OrgAccount[] = [];
      // One account after the other: ListTagsForResource has a low rate limit, and the API budget paces it anyway.
      for (const a of raw) out.push(await toAccount(a));
      return out.sort((x, y) => x.id.localeCompare(y.id));
    },
  };
}
