import { type Pseudonymizer, type RedactionCounts, SECRET_NAME } from "./redact.ts";

// Structured redaction for API objects, before they become text: an env entry or a
// ConfigMap key whose *name* says secret is replaced whatever its value looks like,
// which the text rules alone cannot know once the object is JSON
// ({"name":"DB_PASSWORD","value":"x"} names the secret in one field and holds it in another).

// Fields that name or point at a secret rather than hold one (secretName, secretKeyRef …).
const REFERENCE_KEY = /(Ref|Refs|Name|Names|Namespace|Key|Keys|Path|Paths|Items|Type|Mode|Optional|File)$/;
const DROP_METADATA = new Set(["managedFields"]);

export function redactObject(value: unknown, pseudo: Pseudonymizer, counts: RedactionCounts): unknown {
  return walk(value, pseudo, counts, "");
}

function walk(v: unknown, p: Pseudonymizer, counts: RedactionCounts, key: string): unknown {
  if (typeof v === "string") return redactString(key, v, p, counts);
  if (Array.isArray(v)) return v.map((x) => walk(x, p, counts, key));
  if (!v || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  // {name, value} pairs: env vars, container args-as-list settings, HTTP headers in probes.
  if (typeof o.name === "string" && typeof o.value === "string") {
    const rest = Object.fromEntries(
      Object.entries(o)
        .filter(([k]) => k !== "value")
        .map(([k, x]) => [k, walk(x, p, counts, k)]),
    );
    return { ...rest, value: p.redactNamed(o.name, o.value, counts) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    if (key === "metadata" && DROP_METADATA.has(k)) continue;
    // ConfigMap data: every key names its value.
    if ((key === "data" || key === "binaryData" || key === "stringData") && typeof x === "string") {
      out[k] = p.redactNamed(k, x, counts);
      continue;
    }
    out[k] = walk(x, p, counts, k);
  }
  return out;
}

function redactString(key: string, v: string, p: Pseudonymizer, counts: RedactionCounts): string {
  // An annotation can hold a whole object as JSON (last-applied-configuration): redact it as an object.
  if ((v.startsWith("{") || v.startsWith("[")) && v.length > 2) {
    try {
      return JSON.stringify(walk(JSON.parse(v), p, counts, ""));
    } catch {}
  }
  if (key && SECRET_NAME.test(key) && !REFERENCE_KEY.test(key)) return p.redactNamed(key, v, counts);
  return p.redact(v, counts);
}
