import { beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { verifyOverDns } from "../../src/providers/dns/verify.ts";
import { runBin } from "../support/bin.ts";
import { runDeno, stable } from "../support/deno.ts";
import { workspace } from "../support/e2e-env.ts";
import { PowerDns } from "../support/pdns.ts";

// dns-change through the compiled binary against a real PowerDNS (HTTP API + DNS on its
// own port, queried over real DNS) — what an operator would run.

const pdns = new PowerDns();
const Z = "e2e.opsctl.test.";
const KEY_ENV = { PDNS_KEY: pdns.key };

const CONFIG = (over = "") => `dns:
  provider: powerdns
  verifyTimeout: 10s
  owned: ["*.svc"]
  powerdns:
    apiUrl: ${pdns.url}
    apiKey: env:PDNS_KEY
    nameservers: ["${pdns.dnsServer}"]
${over}`;

const DESIRED = `zone: ${Z}
records:
  - name: www
    type: A
    ttl: 300
    values: [192.0.2.10, 192.0.2.11]
  - name: api
    type: AAAA
    ttl: 60
    value: 2001:db8::10
  - name: "@"
    type: MX
    ttl: 3600
    values: ["10 mx1.example.net."]
  - name: a.svc
    type: A
    ttl: 60
    value: 10.0.0.1
`;

/** Eleven record sets besides SOA/NS, so the threshold applies (13 in all). */
async function seed() {
  await pdns.zone(Z);
  await pdns.put(Z, [
    { name: `www.${Z}`, type: "A", ttl: 300, values: ["192.0.2.1"] },
    { name: `www.${Z}`, type: "TXT", ttl: 300, values: ['"site-verification=abc"'] },
    { name: Z, type: "MX", ttl: 3600, values: ["10 mx1.example.net."] },
    { name: `a.svc.${Z}`, type: "A", ttl: 60, values: ["10.0.0.1"] },
    { name: `b.svc.${Z}`, type: "A", ttl: 60, values: ["10.0.0.2"] },
    { name: `keep.${Z}`, type: "A", ttl: 60, values: ["192.0.2.99"] },
    { name: `legacy.${Z}`, type: "CNAME", ttl: 60, values: ["old.example.net."] },
    ...["h1", "h2", "h3", "h4"].map((h, i) => ({ name: `${h}.${Z}`, type: "A", ttl: 60, values: [`192.0.2.${50 + i}`] })),
  ]);
}

function ws(files: Record<string, string> = { "dns/e2e.yaml": DESIRED }, over = "") {
  const w = workspace(pdns.p.MOTO_URL, CONFIG(over), files);
  return { dir: w.dir, env: { ...w.env, ...KEY_ENV } };
}

const run = (args: string[], w: { dir: string; env: Record<string, string> }) =>
  runBin(["dns-change", "--environment", "staging", ...args], { cwd: w.dir, env: w.env });

beforeEach(seed);

describe("dns-change against PowerDNS", () => {
  test("dry run: exit 10, the plan lists creates/updates with reasons and the untouched sets; nothing changes", async () => {
    const before = await pdns.dump(Z);
    const r = await run(["--zone", Z, "--desired", "dns/e2e.yaml", "--dry-run"], ws());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(10);
    expect(r.stdout).toContain(`create     api.${Z} AAAA`);
    expect(r.stdout).toContain(`update     www.${Z} A     www   dns/e2e.yaml:3: 300 192.0.2.1 → 300 192.0.2.10 192.0.2.11`);
    expect(r.stdout).toContain(`keep.${Z} A`);
    expect(r.stdout).toContain("out-of-scope: not owned: not in the desired state nor matching dns.owned");
    expect(r.stdout).toContain("excluded: owned (dns.owned pattern *.svc) but not in the desired state: deleted only with --prune");
    expect(r.stdout).toContain("Dry run: 2 change(s), nothing applied.");
    expect(await pdns.dump(Z)).toEqual(before);
  });

  test("apply changes exactly the owned sets in one PATCH and verifies over real DNS; a second dry run is exit 0", async () => {
    const w = ws();
    const r = await runBin(["dns-change", "--environment", "staging", "--zone", Z, "--desired", "dns/e2e.yaml", "--format", "json"], {
      cwd: w.dir,
      env: w.env,
    });
    expect(r.code).toBe(0);
    expect(r.json.result.actions.map((a: { status: string }) => a.status)).toEqual(["applied", "applied"]);
    expect(r.json.result.actions[0].detail).toBe(
      `one PATCH of 2 rrset(s) to ${Z}; verified over DNS at ${pdns.dnsServer}: 2 record set(s) answer the new values`,
    );
    const dump = await pdns.dump(Z);
    expect(dump).toContain(`www.${Z} A 300 192.0.2.10|192.0.2.11`);
    expect(dump).toContain(`api.${Z} AAAA 60 2001:db8::10`);
    expect(dump).toContain(`www.${Z} TXT 300 "site-verification=abc"`);
    expect(dump).toContain(`b.svc.${Z} A 60 10.0.0.2`);
    // A resolver asking the authoritative server gets the new answer.
    const v = await verifyOverDns([{ name: `www.${Z}`, type: "A", values: ["192.0.2.10", "192.0.2.11"] }], { servers: [pdns.dnsServer], timeoutMs: 2000 });
    expect(v.pending).toEqual([]);
    const again = await run(["--zone", Z, "--desired", "dns/e2e.yaml", "--dry-run"], w);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes");
  });

  test("--prune deletes owned sets the file omits (other types at its names, dns.owned matches), never the rest", async () => {
    const w = ws();
    const r = await run(["--zone", Z, "--desired", "dns/e2e.yaml", "--prune", "--format", "json"], w);
    expect(r.code).toBe(0);
    const ops = r.json.plan.actions.map((a: { operation: string; id: string }) => `${a.operation} ${a.id}`);
    expect(ops).toEqual([`create api.${Z} AAAA`, `delete b.svc.${Z} A`, `update www.${Z} A`, `delete www.${Z} TXT`]);
    const dump = await pdns.dump(Z);
    expect(dump.some((l) => l.startsWith(`b.svc.${Z}`))).toBe(false);
    expect(dump.some((l) => l.startsWith(`www.${Z} TXT`))).toBe(false);
    expect(dump).toContain(`keep.${Z} A 60 192.0.2.99`);
    expect(dump).toContain(`legacy.${Z} CNAME 60 old.example.net.`);
    // Deleted names no longer answer over DNS.
    expect((await verifyOverDns([{ name: `b.svc.${Z}`, type: "A", values: [] }], { servers: [pdns.dnsServer], timeoutMs: 2000 })).pending).toEqual([]);
  });

  test("threshold: updates/deletes over dns.maxChangePercent are exit 3 unless --allow-large-change", async () => {
    const big = `zone: ${Z}\nrecords:\n${["h1", "h2", "h3", "h4", "keep"].map((h) => `  - { name: ${h}, type: A, ttl: 120, value: 198.51.100.1 }\n`).join("")}`;
    const w = ws({ "dns/big.yaml": big });
    const before = await pdns.dump(Z);
    const r = await run(["--zone", Z, "--desired", "dns/big.yaml"], w);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`dns.threshold: 5 update(s)/delete(s) of 13 record sets in ${Z} (38.5%) > dns.maxChangePercent 30%`);
    expect(await pdns.dump(Z)).toEqual(before);
    const tuned = await run(["--zone", Z, "--desired", "dns/big.yaml", "--dry-run"], ws({ "dns/big.yaml": big }, "  maxChangePercent: 40\n"));
    expect(tuned.code).toBe(10);
    const allowed = await run(["--zone", Z, "--desired", "dns/big.yaml", "--allow-large-change"], w);
    expect(allowed.code).toBe(0);
    expect(await pdns.dump(Z)).toContain(`h1.${Z} A 120 198.51.100.1`);
  });

  test("a CNAME beside other types, or at the apex, is exit 3 naming file and line; nothing changes", async () => {
    const bad = `zone: ${Z}\nrecords:\n  - { name: www, type: CNAME, ttl: 60, value: web.example.net. }\n  - { name: "@", type: CNAME, ttl: 60, value: web.example.net. }\n`;
    const before = await pdns.dump(Z);
    const r = await run(["--zone", Z, "--desired", "dns/bad.yaml", "--format", "json"], ws({ "dns/bad.yaml": bad }));
    expect(r.code).toBe(3);
    const msgs = r.json.errors.map((e: { message: string }) => e.message);
    expect(msgs).toContain(`dns.cname: dns/bad.yaml:3: www.${Z} CNAME cannot sit beside other record types at the same name (A, TXT)`);
    expect(msgs).toContain(`dns.cname: dns/bad.yaml:4: ${Z} CNAME: a CNAME cannot be at the zone apex`);
    expect(await pdns.dump(Z)).toEqual(before);
  });

  test("a record edited between plan and apply: the saved plan is refused (exit 3) and nothing changes", async () => {
    const w = ws();
    const planned = await run(["--zone", Z, "--desired", "dns/e2e.yaml", "--dry-run", "--out", "plan.json"], w);
    expect(planned.code).toBe(10);
    await pdns.put(Z, [{ name: `www.${Z}`, type: "A", ttl: 300, values: ["203.0.113.5"] }]);
    const edited = await pdns.dump(Z);
    const r = await runBin(["apply", "plan.json"], { cwd: w.dir, env: w.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`www.${Z} A: values as planned (values is now ["203.0.113.5"])`);
    expect(r.stderr).toContain("The plan is stale: nothing was changed.");
    expect(await pdns.dump(Z)).toEqual(edited);
  });

  test("one-off --set/--delete edits", async () => {
    const w = ws();
    const r = await run(["--zone", Z, "--set", 'txt TXT 300 "hello world" "v=1"', "--set", "www A 300 192.0.2.1 192.0.2.2", "--delete", "legacy CNAME"], w);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const dump = await pdns.dump(Z);
    expect(dump).toContain(`txt.${Z} TXT 300 "hello world"|"v=1"`);
    expect(dump).toContain(`www.${Z} A 300 192.0.2.1|192.0.2.2`);
    expect(dump.some((l) => l.startsWith(`legacy.${Z}`))).toBe(false);
    expect(
      (await verifyOverDns([{ name: `txt.${Z}`, type: "TXT", values: ['"hello world"', '"v=1"'] }], { servers: [pdns.dnsServer], timeoutMs: 2000 })).pending,
    ).toEqual([]);
  });

  test("a change that does not answer over DNS within dns.verifyTimeout: exit 4 naming what did not converge", async () => {
    const w = ws({ "dns/e2e.yaml": DESIRED }, "");
    const cfg = join(w.dir, "opsctl.config.yaml");
    writeFileSync(
      cfg,
      readFileSync(cfg, "utf8")
        .replace(`nameservers: ["${pdns.dnsServer}"]`, `nameservers: ["127.0.0.1:9"]`)
        .replace("verifyTimeout: 10s", "verifyTimeout: 2s"),
    );
    const r = await run(["--zone", Z, "--desired", "dns/e2e.yaml", "--format", "json"], w);
    expect(r.code).toBe(4);
    expect(r.json.result.actions.map((a: { status: string }) => a.status)).toEqual(["failed", "failed"]);
    const msg = r.json.result.actions[0].error.message;
    expect(msg).toContain(`${Z}: the change was applied, but`);
    expect(msg).toContain("at 127.0.0.1:9 after 2s (want");
    // It was applied (the API holds it); only the DNS answer could not be confirmed.
    expect(await pdns.dump(Z)).toContain(`www.${Z} A 300 192.0.2.10|192.0.2.11`);
  });

  test("unreachable API: exit 4, nothing changed", async () => {
    const w = ws({ "dns/e2e.yaml": DESIRED }, "");
    writeFileSync(join(w.dir, "opsctl.config.yaml"), readFileSync(join(w.dir, "opsctl.config.yaml"), "utf8").replace(pdns.url, "http://127.0.0.1:9"));
    const r = await run(["--zone", Z, "--desired", "dns/e2e.yaml", "--dry-run"], w);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("cannot reach PowerDNS at http://127.0.0.1:9");
  });

  test("a rejected API key: exit 4, the key is never printed", async () => {
    const w = ws();
    const wrong = "wrong-key-CANARY-51d0";
    for (const format of ["text", "json"]) {
      const r = await run(["--zone", Z, "--desired", "dns/e2e.yaml", "--format", format], { ...w, env: { ...w.env, PDNS_KEY: wrong } });
      expect(r.code).toBe(4);
      expect(r.stdout + r.stderr).toContain("rejected the API key (401): check dns.powerdns.apiKey");
      expect(r.stdout + r.stderr).not.toContain(wrong);
    }
  });

  test("a malformed desired file: exit 2 naming file, line and key, every problem at once", async () => {
    const bad = `zone: ${Z}\nrecords:\n  - name: www\n    type: A\n    ttl: five\n    values: [192.0.2.1]\n  - name: api\n    type: A\n    ttl: 60\n    colour: blue\n    value: 192.0.2.2\n`;
    const r = await run(["--zone", Z, "--desired", "dns/bad.yaml", "--dry-run"], ws({ "dns/bad.yaml": bad }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dns/bad.yaml:5: records[0].ttl: must be a whole number of seconds, got "five"');
    expect(r.stderr).toContain("dns/bad.yaml:10: records[1].colour: unknown key (expected name, type, ttl, values)");
    const syntax = await run(["--zone", Z, "--desired", "dns/s.yaml", "--dry-run"], ws({ "dns/s.yaml": "records:\n  - {name: www\n" }));
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/dns\/s\.yaml:\d+: \(syntax\): /);
    const missing = await run(["--zone", Z, "--desired", "dns/none.yaml", "--dry-run"], ws());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read desired-state file dns/none.yaml (ENOENT)");
  });

  test("bad flags: missing --zone, --prune without a file, a malformed --set (exit 2)", async () => {
    const w = ws();
    const r = await run(["--set", "www A 300 192.0.2.1", "--dry-run"], w);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--zone is required");
    const p = await run(["--zone", Z, "--zone", "bad zone!", "--set", "www A 300", "--prune", "--dry-run"], w);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain("--zone bad zone!.: not a zone name");
    expect(p.stderr).toContain("--prune needs --desired");
    const s = await run(["--zone", Z, "--set", "www A soon 192.0.2.1", "--dry-run"], w);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain("--set 'www A soon 192.0.2.1': TTL 'soon' is not a whole number of seconds");
    const v = await run(["--zone", Z, "--set", "www A 300 192.0.2.999", "--dry-run"], w);
    expect(v.code).toBe(3);
    expect(v.stderr).toContain("dns.values: --set 'www A 300 192.0.2.999': www.e2e.opsctl.test. A: '192.0.2.999' is not an IPv4 address");
  });
});

describe("dns-change secrets", () => {
  test("the PowerDNS API key (literal in the repo config, or env:/file: references) never appears in any output, plan file or audit record", async () => {
    const { readdirSync, statSync } = await import("node:fs");
    const key = pdns.key;
    const scan = (label: string, text: string) => {
      if (text.includes(key)) throw new Error(`${label}: the API key leaked:\n${text.slice(Math.max(0, text.indexOf(key) - 200), text.indexOf(key) + 100)}`);
    };
    const variants: [string, Record<string, string>, Record<string, string>][] = [
      ["literal", {}, {}],
      ["env ref", { PDNS_REF_KEY: key }, {}],
      ["file ref", {}, { "pdns.key": `${key}\n` }],
    ];
    for (const [label, extraEnv, extraFiles] of variants) {
      await seed();
      const ref = label === "literal" ? key : label === "env ref" ? "env:PDNS_REF_KEY" : "file:pdns.key";
      const w = ws({ "dns/e2e.yaml": DESIRED, ...extraFiles });
      const cfg = join(w.dir, "opsctl.config.yaml");
      writeFileSync(
        cfg,
        readFileSync(cfg, "utf8").replace("apiKey: env:PDNS_KEY", `apiKey: ${label === "file ref" ? `file:${join(w.dir, "pdns.key")}` : ref}`),
      );
      const env = { ...w.env, ...extraEnv, PDNS_KEY: "" };
      const runs: string[][] = [
        ["--zone", Z, "--desired", "dns/e2e.yaml", "--show-config"],
        ["--zone", Z, "--desired", "dns/e2e.yaml", "--show-config", "--format", "json"],
        ["--zone", Z, "--desired", "dns/e2e.yaml", "--dry-run", "--verbose", "--out", "plan.json"],
        ["--zone", Z, "--desired", "dns/bad-missing.yaml", "--dry-run", "--format", "json"],
        ["--zone", Z, "--set", "www A 300 192.0.2.999", "--dry-run", "--verbose"],
      ];
      for (const args of runs) {
        const r = await run(args, { dir: w.dir, env });
        expect(r.code).not.toBe(1);
        scan(`${label} ${args.join(" ")}`, r.stdout + r.stderr);
      }
      const applied = await runBin(["apply", "plan.json", "--verbose", "--format", "json"], { cwd: w.dir, env });
      expect(applied.code).toBe(0); // the key really worked
      scan(`${label} apply`, applied.stdout + applied.stderr);
      scan(`${label} plan file`, readFileSync(join(w.dir, "plan.json"), "utf8"));
      const hist = await runBin(["history", "--format", "json"], { cwd: w.dir, env });
      scan(`${label} history`, hist.stdout + hist.stderr);
      const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
      for (const f of walk(join(w.dir, "home"))) scan(`${label} ${f}`, readFileSync(f, "utf8"));
    }
  });
});

describe("dns-change under Deno", () => {
  // node:dns (verification), the lazily imported yaml parser and fetch must answer the same under deno run.
  test("a dry run matches the binary, and an apply is verified over DNS", async () => {
    const w = ws();
    for (const args of [["--zone", Z, "--desired", "dns/e2e.yaml", "--dry-run", "--format", "json"]]) {
      const bin = await run(args, w);
      const deno = await runDeno(["dns-change", "--environment", "staging", ...args], { cwd: w.dir, env: w.env });
      expect(deno.stderr).toBe(bin.stderr);
      expect(deno.code).toBe(bin.code);
      expect(stable(deno.json)).toEqual(stable(bin.json));
    }
    const applied = await runDeno(["dns-change", "--environment", "staging", "--zone", Z, "--desired", "dns/e2e.yaml", "--format", "json"], {
      cwd: w.dir,
      env: w.env,
    });
    expect(applied.code).toBe(0);
    expect(applied.json.result.actions[0].detail).toContain(`verified over DNS at ${pdns.dnsServer}: 2 record set(s) answer the new values`);
  });
});
