import { describe, expect, test } from "bun:test";
import type { LiveRRset } from "../../src/providers/dns/zone.ts";
import { FakeZone } from "../support/fake-zone.ts";
import { expectGolden } from "../support/golden.ts";
import { runInProcess } from "../support/inproc.ts";
import { normalise, tempRepo } from "../support/tmp.ts";

// dns-change's views with a frozen clock and the in-memory FAKE zone (fixed content and
// no server ports in the plan); the same paths against PowerDNS and moto are in test/e2e.
// Also the one fault no real server produces on demand: one zone of two failing its batch.

const Z = "example.test.";
const seed = (): LiveRRset[] => [
  { name: Z, type: "SOA", ttl: 3600, values: ["ns1.example.test. hostmaster.example.test. 1 10800 3600 604800 3600"] },
  { name: Z, type: "NS", ttl: 3600, values: ["ns1.example.test."] },
  { name: `www.${Z}`, type: "A", ttl: 300, values: ["192.0.2.1"] },
  { name: `www.${Z}`, type: "TXT", ttl: 300, values: ['"site-verification=abc"'] },
  { name: `keep.${Z}`, type: "A", ttl: 300, values: ["192.0.2.99"] },
  { name: `a.svc.${Z}`, type: "A", ttl: 60, values: ["10.0.0.1"] },
];

const CONFIG = `dns:
  owned: ["*.svc"]
  powerdns: { apiUrl: "http://192.0.2.53:8081", apiKey: "env:PDNS_KEY" }
`;

const DESIRED = `zone: example.test.
records:
  - name: www
    type: A
    ttl: 60
    values: [192.0.2.10, 192.0.2.11]
  - name: api
    type: TXT
    ttl: 300
    value: v=spf1 -all
`;

async function run(name: string, argv: string[], files: Record<string, string> = { "dns/example.yaml": DESIRED }) {
  const repo = tempRepo({ "opsctl.config.yaml": CONFIG, ...files }, name);
  const env = { HOME: "/home/operator", XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state`, PDNS_KEY: "pdns-golden-key" };
  const zone = new FakeZone(Z, seed());
  const r = await runInProcess(argv, { cwd: repo, env, providers: { powerdnsZone: async () => zone } });
  const norm = (t: string) => normalise(t, { "<repo>": repo });
  expectGolden(`${name}.stdout`, norm(r.stdout));
  expectGolden(`${name}.stderr`, norm(r.stderr));
  expectGolden(`${name}.exit`, `${r.code}\n`);
  expect(zone.batches).toEqual([]);
}

describe("dns-change golden views", () => {
  for (const format of ["text", "json"]) {
    test(`dry-run plan with --prune (${format})`, () =>
      run(`dns-change-plan.${format}`, [
        "dns-change",
        "--environment",
        "prod",
        "--zone",
        Z,
        "--desired",
        "dns/example.yaml",
        "--prune",
        "--dry-run",
        "--format",
        format,
      ]));
    test(`malformed desired file (${format})`, () =>
      run(`dns-change-bad-file.${format}`, ["dns-change", "--environment", "prod", "--zone", Z, "--desired", "dns/bad.yaml", "--dry-run", "--format", format], {
        "dns/bad.yaml":
          "zone: example.test.\nrecords:\n  - name: www\n    type: A\n    ttl: 5m\n    value: 192.0.2.1\n  - { name: x, type: A, tll: 60, value: 192.0.2.2 }\n",
      }));
    test(`CNAME conflict (${format})`, () =>
      run(`dns-change-cname.${format}`, [
        "dns-change",
        "--environment",
        "prod",
        "--zone",
        Z,
        "--set",
        "www CNAME 300 web.example.net.",
        "--dry-run",
        "--format",
        format,
      ]));
  }
});

describe("several zones (FAKE zone provider)", () => {
  const setup = () => {
    const repo = tempRepo({ "opsctl.config.yaml": "region: us-east-1\ndns:\n  provider: route53\n  verifyTimeout: 2s\n" });
    const env = { HOME: repo, XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state` };
    const a = new FakeZone("a.test.", [{ name: "www.a.test.", type: "A", ttl: 60, values: ["192.0.2.1"] }], "route53");
    const b = new FakeZone("b.test.", [{ name: "www.b.test.", type: "A", ttl: 60, values: ["192.0.2.1"] }], "route53");
    const providers = { route53Zone: async (o: { zone: string }) => (o.zone === "a.test." ? a : b) };
    const argv = ["dns-change", "--environment", "staging", "--zone", "a.test.", "--zone", "b.test.", "--format", "json"];
    const edits = ["--set", "www.a.test. A 60 192.0.2.2", "--set", "api.a.test. A 60 192.0.2.3", "--set", "www.b.test. A 60 192.0.2.2"];
    return { repo, env, a, b, providers, argv: [...argv, ...edits] };
  };

  test("each zone is one batch; one failing zone of two is exit 5, the other zone landed whole", async () => {
    const { repo, env, a, b, providers, argv } = setup();
    b.failApply = "b.test. server down";
    const r = await runInProcess(argv, { cwd: repo, env, providers });
    expect(r.code).toBe(5);
    const j = JSON.parse(r.stdout);
    expect(j.result.actions.map((x: { id: string; status: string }) => `${x.id} ${x.status}`)).toEqual([
      "api.a.test. A applied",
      "www.a.test. A applied",
      "www.b.test. A failed",
    ]);
    expect(a.batches.length).toBe(1);
    expect(a.dump()).toEqual(["api.a.test. A 60 192.0.2.3", "www.a.test. A 60 192.0.2.2"]);
    expect(b.dump()).toEqual(["www.b.test. A 60 192.0.2.1"]);
  });

  test("one zone failing on its own is exit 4, never 5: its batch changed nothing", async () => {
    const { repo, env, a, providers } = setup();
    a.failApply = "a.test. server down";
    const r = await runInProcess(
      ["dns-change", "--environment", "staging", "--zone", "a.test.", "--set", "www A 60 192.0.2.2", "--set", "api A 60 192.0.2.3", "--format", "json"],
      {
        cwd: repo,
        env,
        providers,
      },
    );
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).result.actions.map((x: { status: string }) => x.status)).toEqual(["failed", "failed"]);
    expect(a.dump()).toEqual(["www.a.test. A 60 192.0.2.1"]);
  });
});
