import { beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BinResult, runBin, runProcess } from "../support/bin.ts";
import { selfSigned, serialOf } from "../support/certs.ts";
import { stable } from "../support/deno.ts";
import { pemLines, RotateWorld, ZONE } from "../support/rotate-env.ts";

// The compiled binary against real servers: Pebble issues through real dns-01
// validation in PowerDNS, moto holds the ACM certificates, nginx serves the host pair.
// Each test runs several binaries and a real issuance: they get room beyond bun's 5 s.
const T = 90_000;

const w = new RotateWorld();
const ARGS = ["--service", "api", "--region", "us-east-1"];
let soon: string; // ACM, 5 days left
let later: string; // ACM, 90 days left
let host: { serial: string; cert: string; key: string };
const outputs: BinResult[] = [];
const secrets: string[] = [];

async function run(args: string[], ws: { dir: string; env: Record<string, string>; accountKey?: string }): Promise<BinResult> {
  const r = await runBin(args, { cwd: ws.dir, env: ws.env });
  outputs.push(r);
  if (ws.accountKey) secrets.push(...pemLines(ws.accountKey));
  return r;
}

beforeEach(async () => {
  await w.reset();
  soon = await w.acmCert(5);
  later = await w.acmCert(90);
  await w.acmCert(5, { Service: "billing", Environment: "prod" });
  await w.acmCert(5, { Service: "api", Environment: "staging" });
  host = w.hostCert(5);
}, T);

describe("rotate-cert", () => {
  test(
    "dry run: the 5-day certificates are planned, the 90-day one skipped with its days left; exit 10, no order at Pebble",
    async () => {
      const ws = w.workspace();
      const orders = w.pebbleOrders();
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--dry-run", "--format", "json"], ws);
      expect(r.code).toBe(10);
      expect(r.json.mode).toBe("dry-run");
      expect(r.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).toEqual([soon, "host:edge-1"]);
      const acmAction = r.json.plan.actions[0];
      expect(acmAction.operation).toBe("rotate");
      expect(acmAction.resource.attributes).toMatchObject({ daysLeft: 5, sans: ["api.example.test"], issuer: "CN=api.example.test" });
      expect(acmAction.reason.summary).toContain("5 days left ≤ 30d");
      expect(acmAction.call).toMatchObject({ service: "acm", operation: "ImportCertificate", parameters: { CertificateArn: soon } });
      expect(acmAction.steps[0]).toMatchObject({
        service: "acme",
        operation: "Order",
        parameters: { directoryUrl: w.p.PEBBLE_DIRECTORY_URL, challenge: "dns-01", dnsProvider: "powerdns", zone: ZONE, domains: ["api.example.test"] },
      });
      expect(r.json.plan.actions[1].resource.attributes.serial).toBe(host.serial);
      expect(r.json.plan.actions[1].call.parameters).toMatchObject({ certFile: w.p.NGINX_CERT, keyMode: "0600", reload: w.p.NGINX_RELOAD });
      expect(r.json.plan.skipped).toHaveLength(1);
      expect(r.json.plan.skipped[0].resource.id).toBe(later);
      expect(r.json.plan.skipped[0].reason).toContain("90 days left > 30d");
      const checks = Object.fromEntries(r.json.plan.checks.map((c: { name: string; status: string }) => [c.name, c.status]));
      expect(checks).toMatchObject({ "acme.account": "warning", "dns.zone": "passed" });
      expect(w.pebbleOrders()).toBe(orders);
      expect(w.hostFiles().cert).toBe(host.cert);
      expect((await w.acmState(soon)).notAfter.getTime()).toBeLessThan(Date.now() + 6 * 86_400_000);

      const text = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--dry-run"], ws);
      expect(text.code).toBe(10);
      expect(text.stdout).toContain("order+rotate");
      expect(text.stdout).toContain("not-eligible: expires");
      expect(text.stdout).toContain("Dry run: 2 change(s), nothing applied.");
    },
    T,
  );

  test(
    "host-only targets need no cloud region: the dry run plans the host certificate with scope = environment",
    async () => {
      const ws = w.workspace({ acm: false });
      const cfg = join(ws.dir, "opsctl.config.yaml");
      writeFileSync(cfg, readFileSync(cfg, "utf8").replace(/^region: .*\n/m, ""));
      const r = await run(["rotate-cert", "--environment", "prod", "--service", "api", "--dry-run", "--format", "json"], ws);
      expect(r.code).toBe(10);
      expect(r.json.scope).toEqual({ environment: "prod" });
      expect(r.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).toEqual(["host:edge-1"]);
    },
    T,
  );

  test(
    "apply: nginx serves the new serial, ACM has the new notAfter under the same ARN, challenge records are gone",
    async () => {
      const ws = w.workspace();
      const before = await w.acmState(soon);
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes", "--format", "json"], ws);
      expect(r.json.result.actions.filter((a: { status: string }) => a.status !== "applied")).toEqual([]);
      expect(r.code).toBe(0);
      const newSerial = r.json.result.actions[0].outputs.serial;
      expect(r.json.result.actions[1].outputs.serial).toBe(newSerial); // one order, both targets

      const acm = await w.acmState(soon);
      expect(acm.serial).toBe(newSerial);
      expect(acm.notAfter.getTime()).toBeGreaterThan(before.notAfter.getTime() + 30 * 86_400_000);
      expect((await w.acmState(later)).serial).not.toBe(newSerial);

      expect(await w.servedSettled(newSerial)).toBe(newSerial);
      expect(serialOf(w.hostFiles().cert)).toBe(newSerial);
      expect(statSync(w.p.NGINX_KEY as string).mode & 0o777).toBe(0o600);
      expect(readFileSync(`${w.p.NGINX_CERT}.prev`, "utf8")).toBe(host.cert);
      expect(readFileSync(`${w.p.NGINX_KEY}.prev`, "utf8")).toBe(host.key);
      expect(await w.pdns.txtRecords(ZONE)).toEqual([]);
      expect(r.stderr).toContain("ordering a certificate for api.example.test");

      // The host is now fine: a second run leaves it alone.
      const again = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--dry-run", "--format", "json"], ws);
      expect(again.json.plan.actions.map((a: { resource: { id: string } }) => a.resource.id)).not.toContain("host:edge-1");
    },
    T,
  );

  test(
    "a failing reload restores the previous pair and reloads it: nginx still serves the old certificate, exit 5",
    async () => {
      const flag = join(w.p.OPSCTL_PEERS_DIR as string, "reload-failed-once");
      if (existsSync(flag)) require("node:fs").rmSync(flag);
      const script = join(w.p.OPSCTL_PEERS_DIR as string, "reload-fails-once.sh");
      // Fails like a broken nginx config the first time, reloads for real after the restore.
      writeFileSync(
        script,
        `#!/bin/sh\nif [ ! -f ${flag} ]; then touch ${flag}; echo "nginx: [emerg] cannot load certificate key" >&2; exit 1; fi\nexec ${w.p.NGINX_RELOAD}\n`,
        { mode: 0o755 },
      );
      const ws = w.workspace({ reload: script });
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes", "--format", "json"], ws);
      expect(r.code).toBe(5);
      const [acmResult, hostResult] = r.json.result.actions;
      expect(acmResult.status).toBe("applied");
      expect(hostResult.status).toBe("failed");
      expect(hostResult.error.message).toContain("reload command failed (exit 1: nginx: [emerg] cannot load certificate key)");
      expect(hostResult.error.message).toContain("previous pair restored and reloaded");
      expect(await w.servedSettled(host.serial)).toBe(host.serial);
      expect(w.hostFiles()).toEqual({ cert: host.cert, key: host.key });
      expect(await w.pdns.txtRecords(ZONE)).toEqual([]);
    },
    T,
  );

  test(
    "host only, reload fails: nothing changed anywhere, exit 4",
    async () => {
      const ws = w.workspace({ reload: "/bin/false", acm: false });
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes"], ws);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("reload command failed (exit 1)");
      expect(await w.servedSettled(host.serial)).toBe(host.serial);
      expect(w.hostFiles().cert).toBe(host.cert);
    },
    T,
  );

  test(
    "verifyUrl still serving the old certificate after the reload: the previous pair is restored, exit 4",
    async () => {
      // /bin/true reloads nothing, so nginx keeps serving the old pair: verification must notice.
      const ws = w.workspace({ reload: "/bin/true", acm: false });
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes", "--format", "json"], ws);
      expect(r.code).toBe(4);
      expect(r.json.result.actions[0].error.message).toContain(`${w.p.NGINX_URL} serves serial ${host.serial}, not the new`);
      expect(r.json.result.actions[0].error.message).toContain("previous pair restored and reloaded");
      expect(w.hostFiles()).toEqual({ cert: host.cert, key: host.key });
    },
    T,
  );

  test(
    "Pebble down: exit 4, no certificate replaced, no record left",
    async () => {
      const ws = w.workspace({ directoryUrl: "https://127.0.0.1:9/dir" });
      const before = await w.acmState(soon);
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes", "--format", "json"], ws);
      expect(r.code).toBe(4);
      expect(r.json.errors[0].message).toContain("ACME CA at https://127.0.0.1:9/dir is unreachable");
      expect(r.json.result).toBeNull();
      expect((await w.acmState(soon)).serial).toBe(before.serial);
      expect(w.hostFiles().cert).toBe(host.cert);
      expect(await w.pdns.txtRecords(ZONE)).toEqual([]);
      const dry = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--dry-run"], ws);
      expect(dry.code).toBe(4);
    },
    T,
  );

  test(
    "a wrong DNS API key: exit 4 naming the key setting, never the key; nothing issued",
    async () => {
      const ws = w.workspace();
      const canary = "CANARY-pdns-key-51c7e2";
      const orders = w.pebbleOrders();
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes"], { ...ws, env: { ...ws.env, PDNS_KEY: canary } });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("rejected the API key (401): check rotateCert.dns.powerdns.apiKey");
      expect(r.stdout + r.stderr).not.toContain(canary);
      expect(w.pebbleOrders()).toBe(orders);
      expect(w.hostFiles().cert).toBe(host.cert);
    },
    T,
  );

  test(
    "a missing zone is a failed check (exit 3) before anything is ordered",
    async () => {
      const ws = w.workspace({ extra: "" });
      writeFileSync(
        join(ws.dir, "opsctl.config.yaml"),
        readFileSync(join(ws.dir, "opsctl.config.yaml"), "utf8").replace(`zone: ${ZONE}`, "zone: nowhere.test."),
      );
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes"], ws);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("dns.zone: zone nowhere.test. does not exist");
    },
    T,
  );

  test(
    "a new certificate that drops an old SAN fails validation (exit 3, nothing replaced) unless --allow-san-change",
    async () => {
      host = w.hostCert(60, ["api.example.test", "old.example.test"]);
      const ws = w.workspace({ acm: false });
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes", "--format", "json"], ws);
      expect(r.code).toBe(3);
      expect(r.json.plan.actions[0].reason.summary).toContain("SANs differ from the configured domains (extra old.example.test)");
      expect(r.json.errors.map((e: { message: string }) => e.message)).toContain(
        "new.sans-cover-old: new certificate lacks old.example.test (pass --allow-san-change to accept)",
      );
      expect(w.hostFiles().cert).toBe(host.cert);
      expect(await w.servedSettled(host.serial)).toBe(host.serial);
      expect(await w.pdns.txtRecords(ZONE)).toEqual([]); // the order succeeded; its challenge record is gone
      const ok = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--yes", "--allow-san-change", "--format", "json"], ws);
      expect(ok.code).toBe(0);
      const newSerial = ok.json.result.actions[0].outputs.serial;
      expect(newSerial).not.toBe(host.serial);
      expect(await w.servedSettled(newSerial)).toBe(newSerial);
    },
    T,
  );

  test(
    "--force renews a certificate that is fine; a saved plan applies through `opsctl apply`",
    async () => {
      // 60 days, not the 90-day one: Pebble's 90-day certificate issued within a second
      // of it would not outlive it, and the not-after-later check would (rightly) refuse.
      await w.reset();
      const a = await w.acmCert(5);
      const mid = await w.acmCert(60);
      const ws = w.workspace({ hosts: false });
      const r = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--force", "--dry-run", "--out", "plan.json"], ws);
      expect(r.code).toBe(10);
      const plan = JSON.parse(readFileSync(join(ws.dir, "plan.json"), "utf8"));
      expect(plan.actions.map((x: { resource: { id: string } }) => x.resource.id)).toEqual([a, mid].sort());
      expect(plan.actions.find((x: { resource: { id: string } }) => x.resource.id === mid).reason.summary).toStartWith("--force (expires");
      const applied = await run(["apply", "plan.json", "--yes", "--format", "json"], ws);
      expect(applied.json.errors).toEqual([]);
      expect(applied.code).toBe(0);
      const serial = applied.json.result.actions[0].outputs.serial;
      expect((await w.acmState(mid)).serial).toBe(serial);
      expect((await w.acmState(a)).serial).toBe(serial);
    },
    T,
  );

  test(
    "deno run -A src/main.ts plans exactly like the binary (ACME, PowerDNS and ACM clients under Deno)",
    async () => {
      const ws = w.workspace();
      const args = ["rotate-cert", "--environment", "prod", ...ARGS, "--dry-run", "--format", "json"];
      const bin = await run(args, ws);
      const root = join(import.meta.dir, "..", "..");
      const deno = await runProcess([join(root, "node_modules", ".bin", "deno"), "run", "-A", "--quiet", join(root, "src", "main.ts"), ...args], {
        cwd: ws.dir,
        env: { ...ws.env, DENO_NO_UPDATE_CHECK: "1" },
      });
      outputs.push(deno);
      expect(deno.code).toBe(10);
      expect(deno.stderr).toBe(bin.stderr);
      expect(stable(deno.json)).toEqual(stable(bin.json));
    },
    T,
  );

  test(
    "bad input: exit 2 with a clear message, nothing contacted",
    async () => {
      const ws = w.workspace();
      const noService = await run(["rotate-cert", "--environment", "prod", "--dry-run"], ws);
      expect(noService.code).toBe(2);
      expect(noService.stderr).toContain("--service is required");
      const unknown = await run(["rotate-cert", "--environment", "prod", "--service", "web", "--dry-run"], ws);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("no certificate targets for service 'web' in environment 'prod'");
      expect(unknown.stderr).toContain("configured: api");
      const badWithin = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--renew-within", "soon", "--dry-run"], ws);
      expect(badWithin.code).toBe(2);
      const shown = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--show-config", "--format", "json"], ws);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain("rotateCert.acme.accountKey");
      expect(shown.stdout).toContain("set (from file:");
      expect(shown.stdout).toContain("set (from env:PDNS_KEY)");
      writeFileSync(join(ws.dir, "not-a-key.pem"), "CANARY-not-a-pem-0b9d\n");
      const badKey = await run(["rotate-cert", "--environment", "prod", ...ARGS, "--dry-run"], {
        ...ws,
        env: { ...ws.env, OPSCTL_ROTATE_CERT__ACME__ACCOUNT_KEY: `file:${join(ws.dir, "not-a-key.pem")}` },
      });
      expect(badKey.code).toBe(2);
      expect(badKey.stderr).toContain("rotateCert.acme.accountKey: not a PEM private key (value not shown: secret)");
      expect(badKey.stdout + badKey.stderr).not.toContain("CANARY-not-a-pem");
    },
    T,
  );

  test(
    "the ACME account key, the DNS API key and the new private key never appear in any output",
    () => {
      expect(outputs.length).toBeGreaterThan(10);
      const all = outputs.map((o) => o.stdout + o.stderr).join("\n");
      expect(all).not.toContain(w.p.PDNS_API_KEY as string);
      expect(all).not.toContain("PRIVATE KEY");
      for (const line of new Set(secrets)) if (all.includes(line)) throw new Error(`account key line leaked: ${line}`);
      expect(selfSigned(["x.example.test"], 1).cert).toContain("BEGIN CERTIFICATE"); // the scan would see PEM text
    },
    T,
  );
});
