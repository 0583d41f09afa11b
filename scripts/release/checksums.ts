import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * SHA256SUMS over every file in the release folder (binaries, archives, images), in the
 * format `sha256sum -c SHA256SUMS` checks. Streamed: the files are ~115 MB each.
 */
export async function writeChecksums(outdir: string): Promise<string> {
  const files = readdirSync(outdir)
    .filter((f) => f !== "SHA256SUMS" && statSync(join(outdir, f)).isFile())
    .sort();
  const lines: string[] = [];
  for (const f of files) lines.push(`${await sha256File(join(outdir, f))}  ${f}`);
  const path = join(outdir, "SHA256SUMS");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => h.update(c))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}
