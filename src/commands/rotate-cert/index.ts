import { parseDuration } from "../../core/duration.ts";
import { usageError } from "../../core/errors.ts";
import { remoteFailure } from "../../providers/aws/errors.ts";
import { defineCommand } from "../../sdk/index.ts";
import { hostOf } from "./action-data.ts";
import { rotateHandler } from "./apply.ts";
import { ROTATE_CERT_DEFAULTS, RotateCertSchema } from "./config.ts";
import { acmClient, discover, liveSerial, serviceConfig } from "./inventory.ts";
import { selectCertificates } from "./select.ts";
import { prepareRotation, validateRotation } from "./validate.ts";

export const rotateCert = defineCommand({
  name: "rotate-cert",
  description: "Renew a service's certificates before they expire: ACME (dns-01) into ACM and onto hosts",
  version: "1.0.0",
  config: { key: "rotateCert", schema: RotateCertSchema, defaults: ROTATE_CERT_DEFAULTS },
  providers: ["acm", "acme", "powerdns", "route53"],
  flags: [
    { name: "service", kind: "string", required: true, valueName: "NAME", description: "Service whose certificates to rotate (rotateCert.services.<NAME>)" },
    {
      name: "renew-within",
      kind: "duration",
      configKey: "rotateCert.renewWithin",
      valueName: "DURATION",
      description: "Renew certificates expiring within this long (default 30d)",
    },
    { name: "force", kind: "boolean", description: "Renew every certificate of the service, however long it has left" },
    {
      name: "allow-san-change",
      kind: "boolean",
      configKey: "rotateCert.allowSanChange",
      description: "Accept a new certificate that no longer covers every SAN of the old one",
    },
  ],
  permissions: [
    "acm:ListCertificates",
    "acm:ListTagsForCertificate",
    "acm:DescribeCertificate",
    "acm:GetCertificate",
    "acm:ImportCertificate",
    "route53:ListHostedZonesByName",
    "route53:GetHostedZone",
    "route53:ListResourceRecordSets",
    "route53:ChangeResourceRecordSets",
    "route53:GetChange",
  ],

  // AWS is involved only for ACM targets or Route 53 challenges; host-only rotations need no region.
  scope: { region: (rc) => rc.dns.provider === "route53" || Object.values(rc.services ?? {}).some((svc) => svc.acm === true) },

  parameters(ctx) {
    const rc = ctx.section;
    const service = String(ctx.flags.service);
    return {
      service,
      domains: serviceConfig(ctx, service)?.domains ?? [],
      renewWithin: rc.renewWithin,
      force: ctx.flags.force === true,
      allowSanChange: rc.allowSanChange,
      keyType: rc.keyType,
      directoryUrl: rc.acme.directoryUrl ?? null,
      dnsProvider: rc.dns.provider,
      zone: rc.dns.zone ?? null,
    };
  },

  async plan(ctx) {
    const service = String(ctx.flags.service);
    const svc = serviceConfig(ctx, service);
    const rc = ctx.section;
    if (!svc) {
      const known = Object.keys(rc.services ?? {});
      throw usageError([
        {
          message: `no certificate targets for service '${service}' in environment '${ctx.scope.environment}': set rotateCert.services.${service} (or environments.${ctx.scope.environment}.rotateCert.services.${service})${known.length ? `; configured: ${known.join(", ")}` : ""}`,
          source: { kind: "flag", name: "--service" },
        },
      ]);
    }
    const missing = [
      ["rotateCert.acme.directoryUrl", rc.acme.directoryUrl],
      ["rotateCert.dns.zone", rc.dns.zone],
    ].filter(([, v]) => !v);
    if (missing.length) throw usageError(missing.map(([k]) => ({ message: `${k} is not set: rotate-cert needs it to say how certificates are obtained` })));

    let found: Awaited<ReturnType<typeof discover>>;
    try {
      found = await discover(ctx, service, svc, () => acmClient(ctx));
    } catch (e) {
      throw remoteFailure("ACM", ctx.config.aws.endpoint, e);
    }
    ctx.log.debug(`discovered ${found.targets.length} certificate target(s) for ${service}`);
    const selection = selectCertificates(found.targets, {
      service,
      domains: svc.domains,
      renewWithinMs: parseDuration(rc.renewWithin) as number,
      renewWithinText: rc.renewWithin,
      force: ctx.flags.force === true,
      now: ctx.deps.now(),
      issuance: {
        directoryUrl: rc.acme.directoryUrl as string,
        challenge: "dns-01",
        dnsProvider: rc.dns.provider,
        zone: rc.dns.zone as string,
        keyType: rc.keyType,
      },
    });
    return { ...selection, checks: found.checks };
  },

  validate: (plan, ctx) => validateRotation(plan, ctx),
  prepare: (plan, ctx) => prepareRotation(plan, ctx),

  async live(action, ctx) {
    const kind = action.resource.type === "aws.acm.certificate" ? "acm" : "host";
    try {
      return await liveSerial(kind, action.resource.id, hostOf(action), () => acmClient(ctx));
    } catch (e) {
      throw remoteFailure("ACM", ctx.config.aws.endpoint, e);
    }
  },

  apply: { rotate: rotateHandler },
});
