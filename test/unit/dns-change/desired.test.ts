import { describe, expect, test } from "bun:test";
import { parseDesired } from "../../../src/commands/dns-change/desired.ts";
import { parseDelete, parseSet } from "../../../src/commands/dns-change/edits.ts";

const messages = async (text: string, file = "dns/example.yaml") => {
  const r = await parseDesired(text, file);
  if (!("problems" in r)) throw new Error("parsed");
  return r.problems.map((p) => p.message);
};

describe("desired-state file", () => {
  test("YAML: entries carry file:line; value and values both work", async () => {
    const r = await parseDesired(
      [
        "zone: example.com.",
        "records:",
        "  - name: www",
        "    type: a",
        "    ttl: 300",
        "    values: [192.0.2.1, 192.0.2.2]",
        "  - { name: '@', type: TXT, ttl: 60, value: v=spf1 -all }",
        "",
      ].join("\n"),
      "dns/example.yaml",
    );
    if (!("desired" in r)) throw new Error(JSON.stringify(r.problems));
    expect(r.desired.zone).toBe("example.com.");
    expect(r.desired.entries).toEqual([
      { name: "www", type: "A", ttl: 300, values: ["192.0.2.1", "192.0.2.2"], source: "dns/example.yaml:3", line: 3 },
      { name: "@", type: "TXT", ttl: 60, values: ["v=spf1 -all"], source: "dns/example.yaml:7", line: 7 },
    ]);
  });

  test("JSON is read by the same parser, with lines", async () => {
    const r = await parseDesired('{\n  "records": [\n    {"name": "www", "type": "A", "ttl": 300, "values": ["192.0.2.1"]}\n  ]\n}\n', "d.json");
    if (!("desired" in r)) throw new Error(JSON.stringify(r.problems));
    expect(r.desired.entries[0]?.source).toBe("d.json:3");
  });

  test("every problem at once, each naming file, line and key", async () => {
    const text = [
      "records:",
      "  - name: www",
      "    type: A",
      "    ttl: abc",
      "    values: [192.0.2.1]",
      "  - name: api",
      "    typo: A",
      "    ttl: 60",
      "    value: x",
      "",
    ].join("\n");
    expect(await messages(text)).toEqual([
      'dns/example.yaml:4: records[0].ttl: must be a whole number of seconds, got "abc"',
      "dns/example.yaml:7: records[1].typo: unknown key (expected name, type, ttl, values)",
      "dns/example.yaml:6: records[1].type: missing (A, AAAA, CNAME, TXT, MX, SRV, CAA or NS)",
    ]);
  });

  test("syntax errors and duplicate keys name the line", async () => {
    const [syntax] = await messages("records:\n  - name: www\n    values: [1.2.3.4\n");
    expect(syntax).toMatch(/^dns\/example\.yaml:\d+: \(syntax\): /);
    expect(await messages("records: []\nrecords: []\n")).toEqual(["dns/example.yaml:2: (syntax): Map keys must be unique (DUPLICATE_KEY)"]);
    expect(await messages("- a\n")).toEqual(["dns/example.yaml:1: (document): expected a mapping with 'records' (and optionally 'zone')"]);
    expect(await messages("zone: x.\n")).toEqual(["dns/example.yaml:1: records: missing: list the record sets this file owns"]);
  });
});

describe("--set and --delete", () => {
  test("values grouped by the type's field count; quoted TXT is one value", () => {
    expect(parseSet("www A 300 192.0.2.1 192.0.2.2")).toEqual({
      entry: { name: "www", type: "A", ttl: 300, values: ["192.0.2.1", "192.0.2.2"], source: "--set 'www A 300 192.0.2.1 192.0.2.2'", line: 0 },
    });
    expect((parseSet("@ mx 3600 10 mx1.example.com. 20 mx2.example.com.") as { entry: { values: string[] } }).entry.values).toEqual([
      "10 mx1.example.com.",
      "20 mx2.example.com.",
    ]);
    expect((parseSet('@ TXT 60 "v=spf1 -all" plain') as { entry: { values: string[] } }).entry.values).toEqual(["v=spf1 -all", "plain"]);
    expect((parseSet('@ CAA 60 0 issue "letsencrypt.org"') as { entry: { values: string[] } }).entry.values).toEqual(['0 issue "letsencrypt.org"']);
  });
  test("shape errors name the flag", () => {
    const m = (r: ReturnType<typeof parseSet>) => ("problem" in r ? r.problem.message : "parsed");
    expect(m(parseSet("www A 192.0.2.1"))).toBe("--set 'www A 192.0.2.1': expected 'NAME TYPE TTL VALUE…', e.g. 'www A 300 192.0.2.10'");
    expect(m(parseSet("www A 5m 192.0.2.1"))).toContain("TTL '5m' is not a whole number");
    expect(m(parseSet("@ MX 60 10"))).toContain("each MX value has 2 fields, got 1");
    expect(m(parseSet('@ TXT 60 "open'))).toContain("unterminated quote");
    expect(parseDelete("old cname")).toEqual({ edit: { name: "old", type: "CNAME", source: "--delete 'old cname'" } });
    expect("problem" in parseDelete("old")).toBe(true);
  });
});
