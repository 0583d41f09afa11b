import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { BUNDLE_SCHEMA, BundleWriter } from "../../src/commands/collect-incident/bundle.ts";
import { verifyBundle } from "../../src/commands/collect-incident/verify.ts";

const dir = () => mkdtempSync(join(tmpdir(), "opsctl-bundle-"));
const enc = (s: string) => new TextEncoder().encode(s);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function sample(path: string) {
  const w = BundleWriter.open(path, new Date("2026-12-01T10:00:00Z"));
  const big = enc("x".repeat(70_000));
  const long = `kubernetes/pods/${"very-long-pod-name-".repeat(6)}abc/containers/app.log`;
  await Promise.all([
    w.add({ path: "aws/ec2-instances.json", collector: "aws", source: "ec2 DescribeInstances", requestIds: ["r-1"] }, enc('{"a":1}\n')),
    w.add({ path: "hosts/syslog", collector: "hosts", source: "file /var/log/syslog", requestIds: [] }, big),
    w.add({ path: long, collector: "kubernetes", source: "GET log", requestIds: [] }, enc("line\n")),
    w.add({ path: "aws/ec2-instances.json", collector: "aws", source: "again", requestIds: [] }, enc("{}")),
  ]);
  const res = await w.finish({ schema: BUNDLE_SCHEMA, createdAt: "2026-12-01T10:00:00Z" });
  return { res, big, long };
}

describe("collect-incident bundle writer and --verify", () => {
  test("writes a 0600 .tar.gz that GNU tar reads, with a manifest whose hashes match every file", async () => {
    const d = dir();
    const path = join(d, "b.tar.gz");
    const { res, big, long } = await sample(path);
    expect(res.path).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(res.digest).toBe(`sha256:${sha(readFileSync(path))}`);
    expect(res.bytes).toBe(statSync(path).size);
    expect(readdirSync(d)).toEqual(["b.tar.gz"]);
    const listing = execFileSync("tar", ["-tvzf", path], { encoding: "utf8" });
    for (const line of listing.trim().split("\n")) expect(line.startsWith("-rw-------")).toBe(true);
    const x = join(d, "x");
    execFileSync("mkdir", [x]);
    execFileSync("tar", ["-xzf", path, "-C", x]);
    const manifest = JSON.parse(readFileSync(join(x, "manifest.json"), "utf8"));
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(["aws/ec2-instances.json", "hosts/syslog", long, "aws/ec2-instances.2.json"]);
    for (const f of manifest.files) expect(sha(readFileSync(join(x, f.path)))).toBe(f.sha256);
    expect(readFileSync(join(x, "hosts/syslog")).equals(Buffer.from(big))).toBe(true);
    const v = await verifyBundle(path);
    expect(v).toMatchObject({ files: 4, ok: 4, problems: [], digest: res.digest, schema: BUNDLE_SCHEMA });
  });

  test("verify names each tampered, missing and extra file", async () => {
    const d = dir();
    const path = join(d, "b.tar.gz");
    await sample(path);
    const tar = Buffer.from(gunzipSync(readFileSync(path)));
    // Flip one byte of the syslog entry's data (after its 512-byte header).
    const at = tar.indexOf(Buffer.from("xxxxxxxx"));
    tar[at + 100] = "y".charCodeAt(0);
    writeFileSync(join(d, "tampered.tar.gz"), gzipSync(tar));
    const v = await verifyBundle(join(d, "tampered.tar.gz"));
    expect(v.problems).toEqual([{ path: "hosts/syslog", problem: "hash-mismatch", detail: expect.stringContaining("manifest sha256") }]);
    expect(v.ok).toBe(3);

    // Re-packed by GNU tar without one file and with one added: both are named.
    const x = join(d, "x");
    execFileSync("mkdir", [x]);
    execFileSync("tar", ["-xzf", path, "-C", x]);
    writeFileSync(join(x, "extra.txt"), "planted");
    execFileSync("rm", [join(x, "aws/ec2-instances.2.json")]);
    execFileSync("tar", ["-czf", join(d, "repacked.tar.gz"), "-C", x, "."]);
    const r = await verifyBundle(join(d, "repacked.tar.gz"));
    expect(r.unreadable).toBeUndefined();
    expect(r.problems.map((p) => [p.path, p.problem])).toEqual([
      ["aws/ec2-instances.2.json", "missing"],
      ["extra.txt", "not-in-manifest"],
    ]);
    expect(r.ok).toBe(3);
  });

  test("a file that is not a bundle is unreadable, not a crash", async () => {
    const d = dir();
    writeFileSync(join(d, "plain.txt"), "hello");
    expect((await verifyBundle(join(d, "plain.txt"))).unreadable).toMatch(/not a gzip file/);
    const path = join(d, "b.tar.gz");
    await sample(path);
    writeFileSync(join(d, "short.tar.gz"), gzipSync(gunzipSync(readFileSync(path)).subarray(0, 2048)));
    expect((await verifyBundle(join(d, "short.tar.gz"))).unreadable).toMatch(/ends early/);
  });

  test("abort leaves nothing: no final name, no temporary file", async () => {
    const d = dir();
    const path = join(d, "b.tar.gz");
    const w = BundleWriter.open(path, new Date());
    await w.add({ path: "a.txt", collector: "hosts", source: "x", requestIds: [] }, enc("a"));
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(d)).toHaveLength(1);
    expect(readdirSync(d)[0]).toMatch(/^\.b\.tar\.gz\.partial-/);
    w.abort();
    expect(readdirSync(d)).toEqual([]);
  });
});
