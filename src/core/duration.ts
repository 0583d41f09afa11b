// Durations are given by people in flags and config: `30d`, `12h`, `90m`, `45s`, ISO 8601 `P30D`, `PT12H`.
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SIMPLE = /^(\d+)(s|m|h|d|w)$/;
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export const DURATION_FORM = "a number with a unit s, m, h, d or w (30d, 12h, 90m) or ISO 8601 (P30D, PT12H)";

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  const simple = SIMPLE.exec(t);
  if (simple) return Number(simple[1]) * (UNIT_MS[simple[2] as string] as number);
  const iso = ISO.exec(t.toUpperCase());
  if (iso && t.length > 1 && !t.toUpperCase().endsWith("T")) {
    const [, w, d, h, m, s] = iso.map((x) => (x === undefined ? 0 : Number(x)));
    return ((((w ?? 0) * 7 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (m ?? 0)) * 60_000 + (s ?? 0) * 1000;
  }
  return undefined;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["w", UNIT_MS.w],
    ["d", UNIT_MS.d],
    ["h", UNIT_MS.h],
    ["m", UNIT_MS.m],
  ] as const) {
    if (ms >= (size as number) && ms % (size as number) === 0) return `${ms / (size as number)}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
