export interface AwsClientOptions {
  region: string;
  endpoint?: string;
  /** Static credentials from config; absent means the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  profile?: string;
  maxAttempts: number;
  requestTimeoutMs: number;
}

/** The constructor options every AWS SDK v3 client takes. Retries, signing and the credential chain stay the SDK's. */
export function clientConfig(o: AwsClientOptions) {
  return {
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
    maxAttempts: o.maxAttempts,
    retryMode: "standard",
    requestHandler: { requestTimeout: o.requestTimeoutMs, connectionTimeout: Math.min(o.requestTimeoutMs, 5000) },
  };
}
