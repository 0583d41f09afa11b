import { type AwsClientOptions, awsClient } from "./options.ts";

export interface StsPort {
  /** The account the credentials belong to. */
  callerAccount(): Promise<string>;
}

export async function createSts(opts: AwsClientOptions): Promise<StsPort> {
  const { STSClient, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const client = awsClient(STSClient, "sts", opts);
  return {
    async callerAccount() {
      const r = await client.send(new GetCallerIdentityCommand({}));
      return r.Account ?? "";
    },
  };
}
