import { describe, expect, test } from "bun:test";
import { canonicalJson, canonicalSha256, sha256 } from "../../src/core/canonical.ts";
import { writeJson } from "../../src/core/json-stream.ts";

const samples: unknown[] = [
  1,
  "x",
  null,
  [],
  {},
  [1, undefined, 'a\u2028"b', () => 1],
  { b: 1, a: [{ z: undefined, y: 2.5, x: { q: true, when: new Date(0) } }], c: "é\n", f: () => 1 },
  { plan: { actions: Array.from({ length: 300 }, (_, i) => ({ id: `delete:vol-${i}`, deep: { tags: { a: String(i) }, list: [i, [i]] } })) }, empty: { a: [] } },
];

/** What canonicalJson produced before it was written piece by piece. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

describe("streamed JSON", () => {
  test("writeJson writes exactly JSON.stringify(value, null, 2), in more than one piece for large values", () => {
    for (const s of samples) {
      const pieces: string[] = [];
      writeJson(s, (t) => pieces.push(t));
      expect(pieces.join("")).toBe(JSON.stringify(s, null, 2));
    }
    const big: string[] = [];
    writeJson({ rows: Array.from({ length: 5000 }, (_, i) => ({ i, text: "x".repeat(40) })) }, (t) => big.push(t));
    expect(big.length).toBeGreaterThan(1);
  });

  test("canonical JSON and its digest are unchanged (saved plans keep verifying)", () => {
    for (const s of samples) {
      const before = JSON.stringify(sortKeys(s));
      expect(canonicalJson(s)).toBe(before);
      expect(canonicalSha256(s)).toBe(sha256(before));
    }
  });

  test("a key named __proto__ (a tag can be) is in the canonical JSON and so in the digest", () => {
    const tags = JSON.parse('{"__proto__":"x","Environment":"staging"}');
    const changed = JSON.parse('{"__proto__":"y","Environment":"staging"}');
    const plan = { actions: [{ id: "delete:vol-1", resource: { tags } }] };
    expect(canonicalJson(plan)).toBe('{"actions":[{"id":"delete:vol-1","resource":{"tags":{"Environment":"staging","__proto__":"x"}}}]}');
    expect(canonicalSha256(plan)).toBe(sha256(canonicalJson(plan)));
    expect(canonicalSha256({ actions: [{ id: "delete:vol-1", resource: { tags: changed } }] })).not.toBe(canonicalSha256(plan));
  });
});
