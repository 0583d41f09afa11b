import { stripAnsi } from "./style.ts";

/** Aligned columns, header first; the last column is never padded so lines do not trail spaces. */
export function table(header: string[], rows: string[][], indent = "  "): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => stripAnsi(r[i] ?? "").length)));
  return all
    .map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - stripAnsi(cell).length))).join("  "))
    .join("\n");
}
