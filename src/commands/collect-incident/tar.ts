// A minimal POSIX ustar writer and reader, instead of a tar dependency: a bundle holds
// only regular files with names opsctl makes (ASCII, short, no links), written once and
// read back only to verify hashes. node-tar is built around the file system and would add
// ~250 KiB and its own dependencies to every binary; tar-stream pulls in streamx/b4a for
// what is ~120 lines here. The output is plain ustar: GNU tar, bsdtar and Python's tarfile
// read it (test/e2e checks GNU tar), and the reader skips pax/GNU extension headers so a
// re-packed bundle can still be verified.

const BLOCK = 512;

export interface TarEntryHeader {
  name: string;
  size: number;
  mode: number;
  mtime: Date;
}

/** The 512-byte ustar header of one regular file. */
export function tarHeader(h: TarEntryHeader): Uint8Array {
  const { name, prefix } = splitName(h.name);
  const buf = new Uint8Array(BLOCK);
  const put = (offset: number, length: number, text: string) => {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length > length) throw new Error(`tar: field too long: ${text}`);
    buf.set(bytes, offset);
  };
  const octal = (offset: number, length: number, n: number) => put(offset, length, `${n.toString(8).padStart(length - 1, "0")}\0`);
  put(0, 100, name);
  octal(100, 8, h.mode & 0o7777);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, h.size);
  octal(136, 12, Math.floor(h.mtime.getTime() / 1000));
  put(148, 8, "        ");
  put(156, 1, "0");
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  put(265, 32, "opsctl");
  put(297, 32, "opsctl");
  put(345, 155, prefix);
  let sum = 0;
  for (const b of buf) sum += b;
  put(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return buf;
}

/** Zero bytes that pad an entry of `size` bytes to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Two zero blocks end an archive. */
export const TAR_END = new Uint8Array(BLOCK * 2);

function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  const cut = path.lastIndexOf("/", 155);
  if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new Error(`tar: path too long for ustar: ${path}`);
  return { name: path.slice(cut + 1), prefix: path.slice(0, cut) };
}

export interface TarEntry {
  name: string;
  size: number;
  mode: number;
  type: string;
}

/**
 * Reads a tar stream chunk by chunk, calling `onEntry` per regular file and `onData`
 * with its bytes, so a bundle is verified without holding it in memory.
 */
export class TarReader {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private current: { entry: TarEntry; left: number; pad: number } | undefined;
  private longName: string | undefined;
  private longChunks: Uint8Array[] = [];
  private skip = 0;
  private ended = false;

  constructor(
    private readonly onEntry: (e: TarEntry) => void,
    private readonly onData: (e: TarEntry, chunk: Uint8Array) => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.drain();
  }

  /** True when the end-of-archive blocks were seen and no entry was cut short. */
  get complete(): boolean {
    return this.ended && !this.current;
  }

  private take(n: number): Uint8Array {
    const all = this.pending.length === 1 ? (this.pending[0] as Uint8Array) : Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }

  private drain(): void {
    for (;;) {
      if (this.ended) {
        this.take(this.pendingBytes);
        return;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.pendingBytes);
        if (!n) return;
        this.take(n);
        this.skip -= n;
        continue;
      }
      if (this.current) {
        const cur = this.current;
        if (cur.left > 0) {
          const n = Math.min(cur.left, this.pendingBytes);
          if (!n) return;
          const data = this.take(n);
          if (cur.entry.type === "L") this.longChunks.push(Buffer.from(data));
          else this.onData(cur.entry, data);
          cur.left -= n;
          continue;
        }
        this.current = undefined;
        this.skip = cur.pad;
        if (cur.entry.type === "L") this.longName = new TextDecoder().decode(Buffer.concat(this.longChunks)).replace(/\0+$/, "");
        continue;
      }
      if (this.pendingBytes < BLOCK) return;
      const h = this.take(BLOCK);
      if (h.every((b) => b === 0)) {
        this.ended = true;
        continue;
      }
      this.header(h);
    }
  }

  private header(h: Uint8Array): void {
    const str = (o: number, l: number) => {
      const s = h.subarray(o, o + l);
      const end = s.indexOf(0);
      return new TextDecoder().decode(end >= 0 ? s.subarray(0, end) : s);
    };
    const num = (o: number, l: number) => Number.parseInt(str(o, l).trim() || "0", 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    if (sum !== num(148, 8)) throw new Error("not a tar archive (header checksum mismatch)");
    const type = str(156, 1) || "0";
    const size = num(124, 12);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    const prefix = str(257, 6) === "ustar" ? str(345, 155) : "";
    // "./a" is how `tar -C dir .` names "a": one file, one name.
    const name = (this.longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100))).replace(/^(\.\/)+/, "");
    this.longName = undefined;
    if (type === "L") {
      // GNU long name: this entry's data is the next header's name.
      this.longChunks = [];
      this.current = { entry: { name: "", size, mode: 0, type }, left: size, pad };
      return;
    }
    if (type === "x" || type === "g" || type === "5") {
      // pax headers and directories carry nothing a hash is taken of.
      this.skip = size + pad;
      return;
    }
    const entry: TarEntry = { name, size, mode: num(100, 8), type };
    this.onEntry(entry);
    this.current = { entry, left: size, pad };
  }
}
