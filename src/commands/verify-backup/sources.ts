// Source specs as operators type them (`--source`, or `verifyBackup.sources` per
// environment). Parsing is pure and reports every bad spec with the accepted forms,
// so a typo is exit 2 before anything is contacted.

export type SourceSpec =
  | { kind: "ebs-snapshots"; text: string; tag: { key: string; value: string } }
  | { kind: "s3"; text: string; bucket: string; prefix: string }
  | { kind: "postgres-dump"; text: string; location: { kind: "file"; path: string } | { kind: "s3"; bucket: string; key: string } }
  | { kind: "pgbackrest"; text: string; stanza: string };

export type SourceKind = SourceSpec["kind"];

export const SOURCE_FORMS = [
  "ebs-snapshots:tag:KEY=VALUE",
  "s3://BUCKET/PREFIX/",
  "pgdump:/path/file.dump",
  "pgdump:s3://BUCKET/KEY",
  "pgbackrest:STANZA",
] as const;

// S3's bucket naming rules (3-63 chars, lower case, digits, dots, hyphens; starts and ends alphanumeric).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// pgBackRest stanza names: what its own option parser accepts.
const STANZA = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export type ParsedSource = { ok: true; spec: SourceSpec } | { ok: false; message: string };

export function parseSource(text: string): ParsedSource {
  const t = text.trim();
  const bad = (why: string): ParsedSource => ({ ok: false, message: `source '${text}': ${why}` });
  if (t.startsWith("ebs-snapshots:")) {
    const rest = t.slice("ebs-snapshots:".length);
    if (!rest.startsWith("tag:")) return bad("expected ebs-snapshots:tag:KEY=VALUE");
    const kv = rest.slice(4);
    const i = kv.indexOf("=");
    if (i <= 0) return bad("expected ebs-snapshots:tag:KEY=VALUE (a tag key, '=', a value)");
    return { ok: true, spec: { kind: "ebs-snapshots", text: t, tag: { key: kv.slice(0, i), value: kv.slice(i + 1) } } };
  }
  if (t.startsWith("s3://")) {
    const s3 = splitS3(t);
    if (typeof s3 === "string") return bad(s3);
    // A prefix ends with '/': "backups" would also match "backups-old/", which is never meant.
    if (s3.key !== "" && !s3.key.endsWith("/")) return bad(`an S3 prefix ends with '/' (did you mean s3://${s3.bucket}/${s3.key}/ ?)`);
    return { ok: true, spec: { kind: "s3", text: t, bucket: s3.bucket, prefix: s3.key } };
  }
  if (t.startsWith("pgdump:")) {
    const where = t.slice("pgdump:".length);
    if (where.startsWith("s3://")) {
      const s3 = splitS3(where);
      if (typeof s3 === "string") return bad(s3);
      if (s3.key === "" || s3.key.endsWith("/")) return bad("pgdump:s3://BUCKET/KEY names one object, not a prefix");
      return { ok: true, spec: { kind: "postgres-dump", text: t, location: { kind: "s3", bucket: s3.bucket, key: s3.key } } };
    }
    if (where === "") return bad("expected pgdump:/path/file.dump or pgdump:s3://BUCKET/KEY");
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(where)) return bad(`only local paths and s3:// are supported, not ${where.split(":")[0]}://`);
    return { ok: true, spec: { kind: "postgres-dump", text: t, location: { kind: "file", path: where } } };
  }
  if (t.startsWith("pgbackrest:")) {
    const stanza = t.slice("pgbackrest:".length);
    if (!STANZA.test(stanza)) return bad("expected pgbackrest:STANZA (letters, digits, '_', '-', '.')");
    return { ok: true, spec: { kind: "pgbackrest", text: t, stanza } };
  }
  return bad(`unknown kind; accepted: ${SOURCE_FORMS.join(", ")}`);
}

/** All specs, or every problem at once. Duplicates are refused: verifying one backup twice in a run says nothing new. */
export function parseSources(texts: string[]): { specs: SourceSpec[]; problems: string[] } {
  const specs: SourceSpec[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const r = parseSource(text);
    if (!r.ok) problems.push(r.message);
    else if (seen.has(r.spec.text)) problems.push(`source '${text}' is given twice`);
    else {
      seen.add(r.spec.text);
      specs.push(r.spec);
    }
  }
  return { specs, problems };
}

function splitS3(uri: string): { bucket: string; key: string } | string {
  const rest = uri.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket) || bucket.includes("..")) return `'${bucket}' is not an S3 bucket name (3-63 characters: a-z, 0-9, '.', '-')`;
  if (slash === -1) return `expected s3://${bucket}/ followed by a prefix or key`;
  return { bucket, key: rest.slice(slash + 1) };
}
