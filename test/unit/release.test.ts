import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tarGz, zip } from "../../scripts/release/archive.ts";
import { writeChecksums } from "../../scripts/release/checksums.ts";
import { runProcess } from "../support/bin.ts";
import { tempRepo } from "../support/tmp.ts";

// Release archives and SHA256SUMS, checked with the tools a downloader uses: GNU tar,
// Python's zipfile (what `unzip` would show), sha256sum -c.

const entries = () => [
  { name: "opsctl-1.2.3-linux-x64/opsctl", data: new Uint8Array(Buffer.from("#!/bin/sh\necho hi\n".repeat(1000))), mode: 0o755 },
  { name: "opsctl-1.2.3-linux-x64/README.md", data: new Uint8Array(Buffer.from("# readme\n")), mode: 0o644 },
];
const mtime = new Date("2026-11-30T12:34:56Z");

describe("release archives", () => {
  test(".tar.gz: GNU tar extracts the same bytes, modes and time; equal input gives equal bytes", async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, "a.tar.gz"), tarGz(entries(), mtime));
    const list = await runProcess(["tar", "tzvf", "a.tar.gz", "--utc"], { cwd: dir, env: {} });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("-rwxr-xr-x root/root     18000 2026-11-30 12:34 opsctl-1.2.3-linux-x64/opsctl");
    mkdirSync(join(dir, "x"));
    expect((await runProcess(["tar", "xzf", "../a.tar.gz"], { cwd: join(dir, "x"), env: {} })).code).toBe(0);
    const bin = join(dir, "x", "opsctl-1.2.3-linux-x64", "opsctl");
    expect(readFileSync(bin)).toEqual(Buffer.from(entries()[0]?.data as Uint8Array));
    expect(statSync(bin).mode & 0o777).toBe(0o755);
    expect(Buffer.from(tarGz(entries(), mtime))).toEqual(Buffer.from(tarGz(entries(), mtime)));
  });

  test(".zip: Python's zipfile reads it back, CRCs check, the executable bit is recorded", async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, "a.zip"), zip(entries(), mtime));
    const py = [
      "import zipfile, json",
      "z = zipfile.ZipFile('a.zip')",
      "assert z.testzip() is None",
      "print(json.dumps([[i.filename, i.file_size, oct(i.external_attr >> 16), list(i.date_time), z.read(i.filename).decode()[:9]] for i in z.infolist()]))",
    ].join("\n");
    const r = await runProcess(["python3", "-c", py], { cwd: dir, env: {} });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([
      ["opsctl-1.2.3-linux-x64/opsctl", 18000, "0o100755", [2026, 11, 30, 12, 34, 56], "#!/bin/sh"],
      ["opsctl-1.2.3-linux-x64/README.md", 9, "0o100644", [2026, 11, 30, 12, 34, 56], "# readme\n"],
    ]);
  });

  test("SHA256SUMS covers every file in the folder and passes sha256sum -c; a changed file fails it", async () => {
    const dir = tempRepo();
    const out = join(dir, "dist");
    mkdirSync(out);
    writeFileSync(join(out, "opsctl-linux-x64"), "binary");
    writeFileSync(join(out, "opsctl-1.2.3-linux-x64.tar.gz"), tarGz(entries(), mtime));
    writeFileSync(join(out, "opsctl-windows-x64.exe"), "exe");
    await writeChecksums(out);
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8");
    expect(
      sums
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("  ")[1]),
    ).toEqual(["opsctl-1.2.3-linux-x64.tar.gz", "opsctl-linux-x64", "opsctl-windows-x64.exe"]);
    expect((await runProcess(["sha256sum", "-c", "SHA256SUMS"], { cwd: out, env: {} })).code).toBe(0);
    writeFileSync(join(out, "opsctl-linux-x64"), "tampered");
    const bad = await runProcess(["sha256sum", "-c", "SHA256SUMS"], { cwd: out, env: {} });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("opsctl-linux-x64: FAILED");
  });
});
