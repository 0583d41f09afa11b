import { createHmac, randomBytes } from "node:crypto";

// Redaction at collection time: a secret never reaches the bundle, not even in a
// temporary file. Each secret becomes a pseudonym derived with HMAC-SHA256 under a key
// made for this bundle alone and never written anywhere, so the same secret gets the
// same pseudonym in every file (a reviewer can still see "these two services share a
// password") while nobody can test a guess against the bundle.

export type SecretKind =
  | "private-key"
  | "authorization"
  | "bearer-token"
  | "dsn-password"
  | "aws-access-key-id"
  | "aws-secret-key"
  | "named-secret"
  | "k8s-secret-value"
  | "known-value";

const PREFIX = "[redacted:";

/** Patterns over text; each names the capture group that holds the secret. */
interface Rule {
  kind: SecretKind;
  re: RegExp;
  /** Index of the group that is the secret; the text around it is kept. */
  group: number;
}

// Order matters: whole private-key blocks first (they contain base64 that later rules
// would nibble at), then header values, then the narrower shapes.
const RULES: Rule[] = [
  { kind: "private-key", re: /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----)/g, group: 1 },
  // Authorization: <scheme> <credential> — the scheme is kept, the credential goes.
  {
    kind: "authorization",
    re: /(\b(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?(?:(?:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256)\s+)?)([^\s"'\\,][^"'\\\r\n]*)/gi,
    group: 2,
  },
  { kind: "bearer-token", re: /(\bBearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)/g, group: 2 },
  // scheme://user:PASSWORD@host — user and host stay (they say which database).
  { kind: "dsn-password", re: /(\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^:/?#@\s"'\\]*:)([^@/?#\s"'\\]+)(@)/g, group: 2 },
  { kind: "aws-access-key-id", re: /(^|[^A-Z0-9])((?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16})(?![A-Z0-9])/g, group: 2 },
  {
    kind: "aws-secret-key",
    re: /((?:aws_?)?secret_?access_?key\\?["']?\s*[:=]\s*\\?["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 2,
  },
  // SQL: ALTER ROLE x PASSWORD 'value' (pg_stat_activity shows query text).
  { kind: "named-secret", re: /(\bpassword\s+')([^']+)(')/gi, group: 2 },
  // KEY=value, "key": "value", key: value where the key names a secret.
  {
    kind: "named-secret",
    re: /(\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|credentials?)[A-Za-z0-9_.-]*\\?["']?\s*[:=]\s*\\?["']?)([^\s"'\\,;&{}[\]]+)/gi,
    group: 2,
  },
];

/** Names of env vars or config keys whose values are secrets whatever they look like. */
// DSNs are not here: the text rules keep their user and host and replace only the password.
export const SECRET_NAME = /(password|passwd|pwd|(^|[_.-])pass([_.-]|$)|secret|token|api[_-]?key|apikey|private[_-]?key|credential)/i;

export interface RedactionCounts {
  [kind: string]: number;
}

export class Pseudonymizer {
  private readonly key: Buffer;
  private readonly known = new Map<string, SecretKind>();
  private knownSorted: string[] = [];

  constructor(key: Buffer = randomBytes(32)) {
    this.key = key;
  }

  /** The pseudonym of one secret: stable for this bundle's key, unlinkable without it. */
  pseudonym(secret: string): string {
    return `${PREFIX}${createHmac("sha256", this.key).update(secret, "utf8").digest("hex").slice(0, 12)}]`;
  }

  /**
   * A value to replace wherever it appears (Kubernetes Secret values referenced by the
   * service's pods, opsctl's own configured secrets). Short values would match words.
   */
  addKnown(value: string | undefined, kind: SecretKind = "known-value"): void {
    if (!value || value.length < 6 || this.known.has(value)) return;
    this.known.set(value, kind);
    // Longest first, so a secret that contains another is replaced whole.
    this.knownSorted = [...this.known.keys()].sort((a, b) => b.length - a.length);
  }

  /** Replaces every secret in text; `counts` (if given) is incremented per kind. */
  redact(text: string, counts?: RedactionCounts): string {
    const bump = (kind: string) => {
      if (counts) counts[kind] = (counts[kind] ?? 0) + 1;
    };
    let out = text;
    for (const value of this.knownSorted) {
      if (!out.includes(value)) continue;
      const parts = out.split(value);
      for (let i = 1; i < parts.length; i++) bump(this.known.get(value) as string);
      out = parts.join(this.pseudonym(value));
    }
    for (const rule of RULES) {
      out = out.replace(rule.re, (...m: unknown[]) => {
        const groups = m.slice(1, -2) as (string | undefined)[];
        const secret = groups[rule.group - 1];
        if (!secret || secret.startsWith(PREFIX) || isPseudonymTail(secret)) return m[0] as string;
        bump(rule.kind);
        return groups.map((g, i) => (i === rule.group - 1 ? this.pseudonym(secret) : (g ?? ""))).join("");
      });
    }
    return out;
  }

  /**
   * An env entry or a ConfigMap key: a value under a secret-looking name is replaced
   * whatever its shape; other values still pass the text rules.
   */
  redactNamed(name: string, value: string, counts?: RedactionCounts): string {
    if (SECRET_NAME.test(name) && value && !value.startsWith(PREFIX)) {
      if (counts) counts["named-secret"] = (counts["named-secret"] ?? 0) + 1;
      return this.pseudonym(value);
    }
    return this.redact(value, counts);
  }
}

// A pseudonym's hex tail may follow a separator the rules accept (e.g. "token=[redacted:…]"
// is skipped by the PREFIX check, but "[redacted:abc]" inside quotes is matched from "redacted").
function isPseudonymTail(s: string): boolean {
  return /^redacted:[0-9a-f]{12}\]?$/.test(s);
}
