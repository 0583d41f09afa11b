import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { BUNDLE_SCHEMA, BundleWriter, type FileRecord } from "../../src/commands/collect-incident/bundle.ts";
import { type Collector, type CollectorReport, finalStatus, Sink } from "../../src/commands/collect-incident/collect.ts";
import { Pseudonymizer } from "../../src/commands/collect-incident/redact.ts";
import { TarReader } from "../../src/commands/collect-incident/tar.ts";
import type { Window } from "../../src/commands/collect-incident/window.ts";

/** Runs one collector into a real bundle and reads the bundle back. */
export async function runCollector(c: Collector, o: { window: Window; share?: number; pseudo?: Pseudonymizer }) {
  const path = join(mkdtempSync(join(tmpdir(), "opsctl-collector-")), "b.tar.gz");
  const writer = BundleWriter.open(path, new Date());
  const pseudo = o.pseudo ?? new Pseudonymizer();
  const sink = new Sink(c.name, o.share ?? 50 * 1024 * 1024, writer, pseudo, o.window, new AbortController().signal);
  await c.collect(sink);
  const report: CollectorReport = { ...sink.report, status: finalStatus(sink.report) };
  await writer.finish({ schema: BUNDLE_SCHEMA });
  const files = readBundle(path);
  const manifest = JSON.parse(files.get("manifest.json") as string) as { files: FileRecord[] };
  return { path, report, files, records: manifest.files, pseudo };
}

export function readBundle(path: string): Map<string, string> {
  const out = new Map<string, string>();
  const chunks = new Map<string, Buffer[]>();
  const r = new TarReader(
    (e) => chunks.set(e.name, []),
    (e, c) => chunks.get(e.name)?.push(Buffer.from(c)),
  );
  r.push(gunzipSync(readFileSync(path)));
  for (const [k, v] of chunks) out.set(k, Buffer.concat(v).toString("utf8"));
  return out;
}
