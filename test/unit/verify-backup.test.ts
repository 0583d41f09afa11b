import { describe, expect, test } from "bun:test";
import { freshness, levelFor } from "../../src/commands/verify-backup/levels.ts";
import { judgeProbe, pairProbes, parseRange } from "../../src/commands/verify-backup/probes.ts";
import { pause, Scratch } from "../../src/commands/verify-backup/scratch.ts";
import { parseSource, parseSources } from "../../src/commands/verify-backup/sources.ts";
import { parseDumpHeader } from "../../src/providers/postgres/dump.ts";
import { parseDsn } from "../../src/providers/postgres/scratch.ts";

describe("verify-backup source specs", () => {
  test("each accepted form", () => {
    expect(parseSource("ebs-snapshots:tag:backup=orders-db")).toEqual({
      ok: true,
      spec: { kind: "ebs-snapshots", text: "ebs-snapshots:tag:backup=orders-db", tag: { key: "backup", value: "orders-db" } },
    });
    expect(parseSource("ebs-snapshots:tag:a=b=c")).toMatchObject({ ok: true, spec: { tag: { key: "a", value: "b=c" } } });
    expect(parseSource("s3://my.backups/nightly/")).toMatchObject({ ok: true, spec: { kind: "s3", bucket: "my.backups", prefix: "nightly/" } });
    expect(parseSource("s3://my-backups/")).toMatchObject({ ok: true, spec: { kind: "s3", bucket: "my-backups", prefix: "" } });
    expect(parseSource("pgdump:/var/backups/orders.dump")).toMatchObject({
      ok: true,
      spec: { kind: "postgres-dump", location: { kind: "file", path: "/var/backups/orders.dump" } },
    });
    expect(parseSource("pgdump:s3://dumps/2026/orders.dump")).toMatchObject({
      ok: true,
      spec: { kind: "postgres-dump", location: { kind: "s3", bucket: "dumps", key: "2026/orders.dump" } },
    });
    expect(parseSource("pgbackrest:main")).toMatchObject({ ok: true, spec: { kind: "pgbackrest", stanza: "main" } });
  });

  test("every bad spec says what is wrong and what is accepted", () => {
    const bad = (t: string) => {
      const r = parseSource(t);
      if (r.ok) throw new Error(`${t} parsed`);
      return r.message;
    };
    expect(bad("ebs-snapshots:backup=db")).toContain("ebs-snapshots:tag:KEY=VALUE");
    expect(bad("ebs-snapshots:tag:=x")).toContain("a tag key");
    expect(bad("s3://Bad_Bucket/x/")).toContain("not an S3 bucket name");
    expect(bad("s3://bucket/nightly")).toContain("did you mean s3://bucket/nightly/");
    expect(bad("s3://bucket")).toContain("followed by a prefix");
    expect(bad("pgdump:s3://bucket/dir/")).toContain("names one object");
    expect(bad("pgdump:")).toContain("pgdump:/path/file.dump");
    expect(bad("pgdump:https://example.com/x.dump")).toContain("not https://");
    expect(bad("pgbackrest:")).toContain("pgbackrest:STANZA");
    expect(bad("rsync:/x")).toContain("accepted: ebs-snapshots:tag:KEY=VALUE, s3://BUCKET/PREFIX/");
  });

  test("parseSources reports all problems at once and refuses duplicates", () => {
    const r = parseSources(["s3://b1x/a/", "nope", "s3://b1x/a/", "pgbackrest:"]);
    expect(r.specs).toHaveLength(1);
    expect(r.problems).toHaveLength(3);
    expect(r.problems[1]).toContain("given twice");
  });
});

describe("verify-backup levels and freshness", () => {
  test("a source is verified at the requested level, or the deepest it has, with the reason", () => {
    expect(levelFor("postgres-dump", "query")).toEqual({ level: "query" });
    expect(levelFor("ebs-snapshots", "integrity")).toEqual({ level: "integrity" });
    expect(levelFor("ebs-snapshots", "query").level).toBe("restore");
    expect(levelFor("s3", "restore").capped).toContain("restore does not apply to s3");
  });

  test("freshness compares the newest recovery point with --max-age", () => {
    const now = new Date("2026-12-02T06:00:00Z");
    const fresh = freshness(new Date("2026-12-01T06:00:00Z"), now, "26h", 26 * 3600_000);
    expect(fresh).toMatchObject({ ok: true, ageSeconds: 86_400 });
    expect(fresh.detail).toBe("newest recovery point 2026-12-01T06:00:00.000Z is 24h old, within --max-age 26h");
    const stale = freshness(new Date("2026-11-28T00:00:00Z"), now, "26h", 26 * 3600_000);
    expect(stale.ok).toBe(false);
    expect(stale.detail).toContain("is 4d6h old, older than --max-age 26h");
  });
});

describe("verify-backup probes", () => {
  test("ranges: closed, open ends, bad", () => {
    expect(parseRange("10:20")).toEqual({ min: 10, max: 20 });
    expect(parseRange("1:")).toEqual({ min: 1, max: Number.POSITIVE_INFINITY });
    expect(parseRange(":0.5")).toEqual({ min: Number.NEGATIVE_INFINITY, max: 0.5 });
    expect(parseRange(":")).toContain("not a range");
    expect(parseRange("5:1")).toContain("empty");
    expect(parseRange("a:b")).toContain("not a range");
  });

  test("probes pair with ranges in order; mismatched counts are named", () => {
    expect(pairProbes(["select 1"], ["1:1"]).probes).toEqual([{ sql: "select 1", expect: "1:1", min: 1, max: 1 }]);
    expect(pairProbes(["select 1", "select 2"], ["1:1"]).problems[0]).toContain("got 2 probe(s) and 1 range(s)");
  });

  test("a probe value is judged against its range", () => {
    const p = { sql: "select count(*) from orders", expect: "100:", min: 100, max: Number.POSITIVE_INFINITY };
    expect(judgeProbe(p, "250")).toMatchObject({ ok: true, value: 250, detail: "250 within 100:" });
    expect(judgeProbe(p, 12n)).toMatchObject({ ok: false, value: 12, detail: "12 outside 100:" });
    expect(judgeProbe(p, undefined)).toMatchObject({ ok: false, detail: "the query returned no rows" });
    expect(judgeProbe(p, "abc").detail).toContain("not a number");
  });
});

describe("verify-backup scratch teardown", () => {
  test("removes newest first, records leftovers with their error, runs once", async () => {
    const s = new Scratch();
    const order: string[] = [];
    s.add({ kind: "database", id: "a" }, async () => {
      order.push("a");
      return "removed";
    });
    s.add({ kind: "volume", id: "b" }, async () => {
      order.push("b");
      throw new Error("AccessDenied: no\nmore");
    });
    s.add(
      { kind: "database", id: "c" },
      async () => {
        order.push("c");
        return "not-found";
      },
      { confirmed: false },
    );
    const t = await s.teardown(() => {});
    expect(order).toEqual(["c", "b", "a"]);
    expect(t.created.map((r) => r.id)).toEqual(["a", "b"]);
    expect(t.removed.map((r) => r.id)).toEqual(["a"]);
    expect(t.leftovers).toEqual([{ kind: "volume", id: "b", error: "AccessDenied: no" }]);
    expect(await s.teardown(() => {})).toBe(t);
    expect(() => s.add({ kind: "x", id: "y" }, async () => "removed")).toThrow("after teardown");
  });

  test("an unconfirmed resource that teardown did find counts as created", async () => {
    const s = new Scratch();
    s.add({ kind: "database", id: "d" }, async () => "removed", { confirmed: false });
    const t = await s.teardown(() => {});
    expect(t.created.map((r) => r.id)).toEqual(["d"]);
  });

  test("pause wakes on abort", async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 20);
    await expect(pause(10_000, ac.signal, "waiting for the volume")).rejects.toThrow("interrupted during waiting for the volume");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("postgres parsing", () => {
  test("DSN parts for libpq's environment", () => {
    expect(parseDsn("postgres://scratch:p%40ss@db.internal:6543/maint?sslmode=require")).toEqual({
      host: "db.internal",
      port: 6543,
      user: "scratch",
      password: "p@ss",
      sslmode: "require",
      database: "maint",
    });
    expect(() => parseDsn("mysql://x@y/z")).toThrow("must start with postgres://");
    expect(() => parseDsn("host=x user=y")).toThrow("not a postgres:// URL");
  });

  test("dump header: not a custom-format archive", () => {
    expect(parseDumpHeader(new TextEncoder().encode("--\n-- PostgreSQL database dump\n"))).toContain("no PGDMP magic");
    expect(parseDumpHeader(new Uint8Array([0x50, 0x47, 0x44, 0x4d, 0x50, 1, 14, 0, 4]))).toContain("header truncated");
  });
});

describe("verify-backup manifests", () => {
  const h = "a".repeat(64);
  test("manifest.json and SHA256SUMS map names to keys under the prefix", async () => {
    const { parseManifest } = await import("../../src/commands/verify-backup/manifest.ts");
    expect(
      parseManifest(
        "p/manifest.json",
        JSON.stringify({
          files: [
            { name: "x.tar", sha256: h.toUpperCase(), size: 3 },
            { key: "p/y", sha256: h },
          ],
        }),
        "p/",
      ),
    ).toEqual([
      { key: "p/x.tar", sha256: h, size: 3 },
      { key: "p/y", sha256: h },
    ]);
    expect(parseManifest("p/SHA256SUMS", `# made by backup.sh\n${h}  ./x.tar\n${h} *y\n`, "p/")).toEqual([
      { key: "p/x.tar", sha256: h },
      { key: "p/y", sha256: h },
    ]);
    expect(parseManifest("p/manifest.json", "{", "p/")).toContain("is not JSON");
    expect(parseManifest("p/manifest.json", JSON.stringify({ files: [{ name: "x", sha256: "zz" }] }), "p/")).toContain("files[0] needs");
    expect(parseManifest("p/SHA256SUMS", "nonsense\n", "p/")).toContain("line 1 is not");
  });
});
