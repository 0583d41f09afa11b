import * as v from "valibot";
import { duration, type RunContext, type SectionOf, secret } from "../../sdk/index.ts";

const HostTargetSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]+$/, "host target names use letters, digits, ., - and _")),
  certFile: v.pipe(v.string(), v.minLength(1), v.description("PEM certificate (full chain) the host serves")),
  keyFile: v.pipe(v.string(), v.minLength(1), v.description("PEM private key, written with mode 0600")),
  reload: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Shell command run after the new pair is in place, e.g. nginx -s reload"))),
  verifyUrl: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("https:// address whose served certificate must be the new one"))),
});

const RotateCertServiceSchema = v.strictObject({
  domains: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1, "needs at least one domain"), v.description("SANs the certificate must carry")),
  acm: v.optional(v.pipe(v.boolean(), v.description("Rotate ACM certificates tagged with the service and environment"))),
  hosts: v.optional(v.pipe(v.array(HostTargetSchema), v.description("PEM pairs on this host (bastions, VMs)"))),
});

const KEY_TYPES = ["rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384"] as const;
export type RotateCertKeyType = (typeof KEY_TYPES)[number];

export const RotateCertSchema = v.strictObject({
  renewWithin: v.optional(duration("Renew certificates that expire within this long")),
  allowSanChange: v.optional(v.pipe(v.boolean(), v.description("Allow a new certificate that no longer covers every SAN of the old one"))),
  keyType: v.optional(v.pipe(v.picklist(KEY_TYPES, `must be one of ${KEY_TYPES.join(", ")}`), v.description("Key of new certificates"))),
  serviceTag: v.optional(v.pipe(v.string(), v.minLength(1), v.description("ACM tag key that holds the service name"))),
  environmentTag: v.optional(v.pipe(v.string(), v.minLength(1), v.description("ACM tag key that holds the environment name"))),
  acme: v.optional(
    v.strictObject({
      directoryUrl: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("ACME directory (Let's Encrypt staging/production, Pebble, step-ca)"))),
      accountKey: v.optional(secret("ACME account private key (PEM); use env: or file:")),
      email: v.optional(v.pipe(v.string(), v.email("must be an email address"), v.description("Account contact"))),
      caCert: v.optional(v.pipe(v.string(), v.description("PEM file of a CA trusted for the directory's TLS (private CAs)"))),
      trustRoots: v.optional(v.pipe(v.string(), v.description("PEM file of roots a new chain may end at, besides the system roots"))),
      timeout: v.optional(duration("Timeout of one ACME request")),
    }),
  ),
  dns: v.optional(
    v.strictObject({
      provider: v.optional(
        v.pipe(v.picklist(["powerdns", "route53"], "must be one of powerdns, route53"), v.description("DNS provider for dns-01 challenges")),
      ),
      zone: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Zone the _acme-challenge records go into"))),
      powerdns: v.optional(
        v.strictObject({
          apiUrl: v.optional(v.pipe(v.string(), v.url("must be a URL"), v.description("PowerDNS HTTP API base URL"))),
          apiKey: v.optional(secret("PowerDNS API key")),
          serverId: v.optional(v.pipe(v.string(), v.minLength(1), v.description("PowerDNS server id"))),
        }),
      ),
      route53: v.optional(
        v.strictObject({
          hostedZoneId: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Hosted zone id (default: the public zone named rotateCert.dns.zone)"))),
        }),
      ),
    }),
  ),
  services: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, "service names use letters, digits, - and _")), RotateCertServiceSchema)),
});

export const ROTATE_CERT_DEFAULTS = {
  renewWithin: "30d",
  allowSanChange: false,
  keyType: "rsa-2048" as RotateCertKeyType,
  serviceTag: "Service",
  environmentTag: "Environment",
  acme: { timeout: "30s" },
  dns: { provider: "powerdns" as "powerdns" | "route53", powerdns: { serverId: "localhost" } },
};

export type HostTarget = v.InferOutput<typeof HostTargetSchema>;
export type RotateContext = RunContext<SectionOf<typeof RotateCertSchema, typeof ROTATE_CERT_DEFAULTS>>;
