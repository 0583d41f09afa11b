import { configModel } from "./model.ts";

// valibot schemas are plain data; walking them lets env-var coercion, secret
// detection and provenance follow the one schema instead of a second key list.

// biome-ignore lint/suspicious/noExplicitAny: valibot's internal schema shape is structural
type Node = any;

export type LeafKind = "string" | "number" | "boolean" | "array" | "object" | "record" | "unknown";

export interface SchemaNode {
  kind: LeafKind;
  secret: boolean;
  description?: string;
  node: Node;
}

function unwrap(node: Node): Node {
  let n = node;
  while (n && (n.type === "optional" || n.type === "nullable" || n.type === "nullish")) n = n.wrapped;
  return n;
}

function describe(node: Node): SchemaNode {
  const n = unwrap(node);
  const pipe: Node[] = Array.isArray(n?.pipe) ? n.pipe : [];
  const secret = pipe.some((p) => p.type === "metadata" && p.metadata?.secret === true);
  const description = pipe.find((p) => p.type === "description")?.description;
  const kind: LeafKind =
    n?.type === "strict_object" || n?.type === "object"
      ? "object"
      : n?.type === "record"
        ? "record"
        : ["string", "number", "boolean", "array"].includes(n?.type)
          ? n.type
          : "unknown";
  return { kind, secret, description, node: n };
}

/** The schema node at a dotted path, or undefined when the path is not a config key. */
export function schemaAt(path: string[], root?: Node): SchemaNode | undefined {
  let cur = describe(root ?? configModel().schema);
  for (const seg of path) {
    if (cur.kind === "object") {
      const next = cur.node.entries[seg];
      if (!next) return undefined;
      cur = describe(next);
    } else if (cur.kind === "record") {
      cur = describe(cur.node.value);
    } else if (cur.kind === "array" && /^\d+$/.test(seg)) {
      // Items of a list of objects (targets[2].externalId): secrets inside lists are found too.
      cur = describe(cur.node.item);
    } else if (cur.node?.type === "variant" || cur.node?.type === "union") {
      const option = (cur.node.options as Node[]).map(describe).find((o) => o.kind === "object" && o.node.entries[seg]);
      if (!option) return undefined;
      cur = describe(option.node.entries[seg]);
    } else {
      return undefined;
    }
  }
  return cur;
}

/**
 * The value with every secret-marked string inside it (at any depth, also in lists)
 * replaced by what `fn` returns: for values whose key is a list or object of entries.
 */
export function mapSecrets(path: string[], value: unknown, fn: (secret: string, path: string[]) => unknown): unknown {
  if (Array.isArray(value)) return value.map((x, i) => mapSecrets([...path, String(i)], x, fn));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, x]) => [k, mapSecrets([...path, k], x, fn)]));
  }
  return typeof value === "string" && isSecretPath(path) ? fn(value, path) : value;
}

/** Case-insensitive key lookup, for env vars whose names lose camelCase. */
export function matchKey(path: string[], candidate: string): string | undefined {
  const parent = schemaAt(path);
  if (!parent) return undefined;
  if (parent.kind === "record") return candidate.toLowerCase();
  if (parent.kind !== "object") return undefined;
  const wanted = candidate.replace(/_/g, "").toLowerCase();
  return Object.keys(parent.node.entries).find((k) => k.toLowerCase() === wanted);
}

export function isLeaf(path: string[]): boolean {
  const n = schemaAt(path);
  return !n || (n.kind !== "object" && n.kind !== "record");
}

export function isSecretPath(path: string[]): boolean {
  return schemaAt(path)?.secret === true;
}

/** A key path for people: list indexes in brackets (`targets[2].account`, not `targets.2.account`). */
export function formatKeyPath(path: (string | number)[]): string {
  return path.reduce<string>((out, seg) => (/^\d+$/.test(String(seg)) ? `${out}[${seg}]` : out ? `${out}.${seg}` : String(seg)), "");
}
