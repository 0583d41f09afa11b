import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DescribeCreateAccountStatusCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
  TagResourceCommand,
} from "@aws-sdk/client-organizations";

/** What seedOrganization made in moto: account ids by name, the root and the OU. */
export interface SeededOrg {
  master: string;
  root: string;
  ou: string;
  accounts: Record<string, string>;
}

export const orgClient = (url: string) =>
  new OrganizationsClient({ endpoint: url, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });

/**
 * A real organization in moto (reset it first): three member accounts, one of them moved
 * into an OU ("workloads"), tags on two. moto keeps one organization for the whole server.
 */
export async function seedOrganization(url: string, names = ["Payments Prod", "Data Lake", "Sandbox"]): Promise<SeededOrg> {
  const c = orgClient(url);
  const org = await c.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  const accounts: Record<string, string> = {};
  for (const name of names) {
    const r = await c.send(new CreateAccountCommand({ AccountName: name, Email: `${name.replace(/\W/g, "").toLowerCase()}@example.com` }));
    const status = await c.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: r.CreateAccountStatus?.Id }));
    accounts[name] = status.CreateAccountStatus?.AccountId as string;
  }
  const root = (await c.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
  const ou = (await c.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: "workloads" }))).OrganizationalUnit?.Id as string;
  const first = accounts[names[0] as string] as string;
  await c.send(new MoveAccountCommand({ AccountId: first, SourceParentId: root, DestinationParentId: ou }));
  await c.send(
    new TagResourceCommand({
      ResourceId: first,
      Tags: [
        { Key: "team", Value: "payments" },
        { Key: "tier", Value: "prod" },
      ],
    }),
  );
  await c.send(new TagResourceCommand({ ResourceId: accounts[names[1] as string] as string, Tags: [{ Key: "team", Value: "data" }] }));
  return { master: org.Organization?.MasterAccountId as string, root, ou, accounts };
}
