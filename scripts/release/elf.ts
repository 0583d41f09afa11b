// The runtime dependencies of a dynamically linked ELF file (64-bit, little-endian):
// its program interpreter (PT_INTERP) and the shared libraries it names (DT_NEEDED).
// Read from the file itself, so it works for another architecture's binary too.
import { readFileSync } from "node:fs";

export interface ElfDeps {
  machine: "x86_64" | "aarch64";
  interpreter?: string;
  needed: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;

export function elfDeps(path: string): ElfDeps {
  const b = readFileSync(path);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new Error(`${path}: not a 64-bit little-endian ELF file`);
  const m = b.readUInt16LE(18);
  const machine = m === 62 ? "x86_64" : m === 183 ? "aarch64" : undefined;
  if (!machine) throw new Error(`${path}: unsupported ELF machine ${m}`);
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const loads: { vaddr: bigint; offset: bigint; filesz: bigint }[] = [];
  let interpreter: string | undefined;
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = b.readUInt32LE(p);
    const offset = b.readBigUInt64LE(p + 8);
    const vaddr = b.readBigUInt64LE(p + 16);
    const filesz = b.readBigUInt64LE(p + 32);
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    if (type === PT_INTERP) interpreter = b.toString("latin1", Number(offset), Number(offset + filesz)).replace(/\0+$/, "");
    if (type === PT_DYNAMIC) dynamic = { offset: Number(offset), size: Number(filesz) };
  }
  if (!dynamic) return { machine, interpreter, needed: [] };
  const entries: [bigint, bigint][] = [];
  for (let p = dynamic.offset; p + 16 <= dynamic.offset + dynamic.size; p += 16) {
    const tag = b.readBigInt64LE(p);
    if (tag === 0n) break;
    entries.push([BigInt(tag), b.readBigUInt64LE(p + 8)]);
  }
  const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
  if (strtabAddr === undefined) throw new Error(`${path}: no DT_STRTAB`);
  const seg = loads.find((l) => strtabAddr >= l.vaddr && strtabAddr < l.vaddr + l.filesz);
  if (!seg) throw new Error(`${path}: DT_STRTAB outside every PT_LOAD segment`);
  const strtab = Number(strtabAddr - seg.vaddr + seg.offset);
  const str = (off: bigint) => {
    const start = strtab + Number(off);
    return b.toString("latin1", start, b.indexOf(0, start));
  };
  return { machine, interpreter, needed: entries.filter(([t]) => t === DT_NEEDED).map(([, v]) => str(v)) };
}
