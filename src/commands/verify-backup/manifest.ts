// Backup manifests that say what each object should hash to: `SHA256SUMS` (sha256sum's
// output, names relative to the prefix) or `manifest.json` ({"files": [{"key"|"name"|
// "path", "sha256", "size"?}]}). Names are normalised to keys under the prefix.

export interface ManifestEntry {
  key: string;
  sha256: string;
  size?: number;
}

export const DEFAULT_MANIFESTS = ["manifest.json", "SHA256SUMS"];

export function parseManifest(name: string, text: string, prefix: string): ManifestEntry[] | string {
  const key = (n: string) => (n.startsWith(prefix) ? n : prefix + n.replace(/^\.\//, "").replace(/^\*/, ""));
  if (name.endsWith(".json")) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      return `${name} is not JSON: ${(e as Error).message}`;
    }
    const files = (doc as { files?: unknown })?.files;
    if (!Array.isArray(files)) return `${name} has no "files" array`;
    const out: ManifestEntry[] = [];
    for (const [i, f] of files.entries()) {
      const e = f as { key?: unknown; name?: unknown; path?: unknown; sha256?: unknown; size?: unknown };
      const n = e.key ?? e.name ?? e.path;
      if (typeof n !== "string" || typeof e.sha256 !== "string" || !/^[0-9a-f]{64}$/i.test(e.sha256)) {
        return `${name}: files[${i}] needs a key (or name/path) and a 64-hex sha256`;
      }
      out.push({ key: key(n), sha256: e.sha256.toLowerCase(), ...(typeof e.size === "number" ? { size: e.size } : {}) });
    }
    return out;
  }
  const out: ManifestEntry[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+)$/.exec(line);
    if (!m) return `${name}: line ${i + 1} is not "<sha256>  <name>"`;
    out.push({ key: key(m[2] as string), sha256: (m[1] as string).toLowerCase() });
  }
  return out;
}
