// Release archives written in code (no tar/zip tools needed on the build machine), and
// reproducible: fixed owner, mode and mtime (the commit time), entries in the given order.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync, gzipSync } from "node:zlib";

export interface ArchiveEntry {
  /** Path inside the archive, e.g. "opsctl-linux-x64/opsctl"; directories end with "/". */
  name: string;
  data: Uint8Array;
  mode: number;
  /** Owner (default 0:0 root): a container image's home directory belongs to its user. */
  uid?: number;
  gid?: number;
}

/** A POSIX ustar archive, gzip-compressed. */
export function tarGz(entries: ArchiveEntry[], mtime: Date): Uint8Array {
  // gzip's header mtime stays 0 (Node writes none), so equal input gives equal bytes.
  return gzipSync(tar(entries, mtime), { level: 6 });
}

/** A POSIX ustar archive: regular files, and directories for names ending in "/". */
export function tar(entries: ArchiveEntry[], mtime: Date): Uint8Array {
  const blocks: Uint8Array[] = [];
  const secs = Math.floor(mtime.getTime() / 1000);
  for (const e of entries) {
    if (Buffer.byteLength(e.name) > 100) throw new Error(`tar: name longer than 100 bytes: ${e.name}`);
    const h = Buffer.alloc(512);
    h.write(e.name, 0, "utf8");
    h.write(octal(e.mode, 7), 100);
    const dir = e.name.endsWith("/");
    h.write(octal(e.uid ?? 0, 7), 108);
    h.write(octal(e.gid ?? 0, 7), 116);
    h.write(octal(dir ? 0 : e.data.length, 11), 124);
    h.write(octal(secs, 11), 136);
    h.write("        ", 148); // checksum field counts as spaces while summing
    h.write(dir ? "5" : "0", 156);
    h.write("ustar\u000000", 257);
    // Names only for root: an extractor maps any other owner by number.
    if (!e.uid) h.write("root", 265);
    if (!e.gid) h.write("root", 297);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${octal(sum, 6)}\u0000 `, 148);
    if (dir) blocks.push(h);
    else blocks.push(h, e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A zip archive (deflate), for Windows, where .zip opens without extra tools. */
export function zip(entries: ArchiveEntry[], mtime: Date): Uint8Array {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const { time, date } = dosTime(mtime);
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const packed = deflateRawSync(e.data, { level: 6 });
    const crc = crc32(e.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4); // version needed
    lh.writeUInt16LE(0x0800, 6); // UTF-8 names
    lh.writeUInt16LE(8, 8); // deflate
    lh.writeUInt16LE(time, 10);
    lh.writeUInt16LE(date, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(packed.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, so the mode below is honoured
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt16LE(time, 12);
    ch.writeUInt16LE(date, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(packed.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    local.push(lh, name, packed);
    central.push(ch, name);
    offset += lh.length + name.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cd, end]);
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width, "0");
}

function dosTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((Math.max(d.getUTCFullYear(), 1980) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/**
 * One archive per target beside the raw binary: `.zip` for Windows, `.tar.gz` elsewhere,
 * holding `NAME-VERSION-TARGET/NAME[.exe]` and the README.
 */
export function releaseArchive(o: { target: string; binary: string; outdir: string; name: string; version: string; mtime: Date; readme: string }): string {
  const windows = o.target.startsWith("windows");
  const folder = `${o.name}-${o.version}-${o.target}`;
  const entries: ArchiveEntry[] = [
    { name: `${folder}/${o.name}${windows ? ".exe" : ""}`, data: readFileSync(o.binary), mode: 0o755 },
    { name: `${folder}/README.md`, data: readFileSync(o.readme), mode: 0o644 },
  ];
  const path = join(o.outdir, `${folder}${windows ? ".zip" : ".tar.gz"}`);
  writeFileSync(path, windows ? zip(entries, o.mtime) : tarGz(entries, o.mtime));
  chmodSync(path, 0o644);
  return path;
}
