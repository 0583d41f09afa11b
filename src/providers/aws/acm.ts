import { type AwsClientOptions, awsClient } from "./options.ts";

export interface AcmCertificate {
  arn: string;
  domain?: string;
  sans: string[];
  notAfter?: Date;
  serial?: string;
  issuer?: string;
  keyAlgorithm?: string;
  /** IMPORTED certificates can be re-imported; AMAZON_ISSUED ones ACM renews itself. */
  type?: string;
  status?: string;
  inUseBy: string[];
  tags: Record<string, string>;
  /** The certificate itself (GetCertificate): serial and issuer formats in DescribeCertificate differ between ACM and emulators. */
  certificatePem?: string;
}

export interface AcmPort {
  /** Certificates carrying every given tag (ACM cannot filter by tag server-side). */
  listTagged(tags: Record<string, string>): Promise<AcmCertificate[]>;
  describe(arn: string): Promise<AcmCertificate | undefined>;
  /** Re-import under the same ARN: the ARN and everything attached to it stay. */
  reimport(arn: string, certificatePem: string, privateKeyPem: string, chainPem: string): Promise<void>;
}

// ListCertificates returns only RSA_2048 certificates unless key types are asked for.
const ALL_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"] as const;

export async function createAcm(opts: AwsClientOptions): Promise<AcmPort> {
  const { ACMClient, ListCertificatesCommand, ListTagsForCertificateCommand, DescribeCertificateCommand, GetCertificateCommand, ImportCertificateCommand } =
    await import("@aws-sdk/client-acm");
  const client = awsClient(ACMClient, "acm", opts);
  const enc = new TextEncoder();

  const tagsOf = async (arn: string) => {
    const r = await client.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
    return Object.fromEntries((r.Tags ?? []).map((t) => [t.Key as string, t.Value ?? ""]));
  };
  const pemOf = async (arn: string): Promise<string | undefined> => {
    try {
      return (await client.send(new GetCertificateCommand({ CertificateArn: arn }))).Certificate;
    } catch (e) {
      // Still being issued (RequestInProgressException): Describe's fields are all there is.
      if ((e as { name?: string }).name === "RequestInProgressException") return undefined;
      throw e;
    }
  };
  const describe = async (arn: string): Promise<AcmCertificate | undefined> => {
    try {
      const r = await client.send(new DescribeCertificateCommand({ CertificateArn: arn }));
      const c = r.Certificate ?? {};
      return {
        arn,
        domain: c.DomainName,
        sans: c.SubjectAlternativeNames ?? (c.DomainName ? [c.DomainName] : []),
        notAfter: c.NotAfter,
        serial: c.Serial,
        issuer: c.Issuer,
        keyAlgorithm: c.KeyAlgorithm,
        type: c.Type,
        status: c.Status,
        inUseBy: c.InUseBy ?? [],
        tags: await tagsOf(arn),
        ...(c.Type === "IMPORTED" || c.Status === "ISSUED" ? { certificatePem: await pemOf(arn) } : {}),
      };
    } catch (e) {
      if ((e as { name?: string }).name === "ResourceNotFoundException") return undefined;
      throw e;
    }
  };

  return {
    async listTagged(tags) {
      const arns: string[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new ListCertificatesCommand({ Includes: { keyTypes: [...ALL_KEY_TYPES] }, NextToken: token, MaxItems: 100 }));
        for (const s of r.CertificateSummaryList ?? []) if (s.CertificateArn) arns.push(s.CertificateArn);
        token = r.NextToken;
      } while (token);
      const out: AcmCertificate[] = [];
      for (const arn of arns) {
        const t = await tagsOf(arn);
        if (!Object.entries(tags).every(([k, v]) => t[k] === v)) continue;
        const d = await describe(arn);
        if (d) out.push(d);
      }
      return out;
    },
    describe,
    async reimport(arn, certificatePem, privateKeyPem, chainPem) {
      await client.send(
        new ImportCertificateCommand({
          CertificateArn: arn,
          Certificate: enc.encode(certificatePem),
          PrivateKey: enc.encode(privateKeyPem),
          ...(chainPem.trim() ? { CertificateChain: enc.encode(chainPem) } : {}),
        }),
      );
    },
  };
}
