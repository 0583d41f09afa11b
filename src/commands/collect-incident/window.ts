import { parseDuration } from "../../core/duration.ts";

/** The time range every collector reads: events outside it are not collected. */
export interface Window {
  since: Date;
  until: Date;
}

export const WINDOW_FORM = "a duration before now (2h, 90m, P1D) or an RFC 3339 time (2026-12-01T10:00:00Z)";

/**
 * --since/--until: each a duration before now or an absolute time. Returns the problems
 * instead of throwing so the caller reports them with the flags they came from.
 */
export function parseWindow(since: string, until: string | undefined, now: Date): { window?: Window; problems: { flag: string; message: string }[] } {
  const problems: { flag: string; message: string }[] = [];
  const point = (flag: string, text: string): Date | undefined => {
    const ms = parseDuration(text);
    if (ms !== undefined) return new Date(now.getTime() - ms);
    // An absolute time must carry its zone: "10:00" on a bastion in another zone is a different hour.
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text.trim())) {
      const d = new Date(text.trim());
      if (!Number.isNaN(d.getTime())) return d;
    }
    problems.push({ flag, message: `${flag} '${text}' is not ${WINDOW_FORM}` });
    return undefined;
  };
  const s = point("--since", since);
  const u = until === undefined ? now : point("--until", until);
  if (!s || !u) return { problems };
  if (s.getTime() >= u.getTime())
    problems.push({ flag: "--since", message: `the window is empty: --since ${s.toISOString()} is not before --until ${u.toISOString()}` });
  if (s.getTime() > now.getTime()) problems.push({ flag: "--since", message: `--since ${s.toISOString()} is in the future` });
  return problems.length ? { problems } : { window: { since: s, until: u }, problems };
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?$/i;
const UNIT: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
export const SIZE_FORM = "a byte count with an optional unit K, M, G (binary: 200M = 200 MiB), e.g. 200M, 1G, 512KiB";

/** `200M` → 209715200; undefined when not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const n = Math.floor(Number(m[1]) * (UNIT[(m[2] ?? "").toUpperCase()] as number));
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function formatBytes(n: number): string {
  for (const [u, size] of [
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const) {
    if (n >= size) return `${(n / size).toFixed(n % size === 0 ? 0 : 1)} ${u}`;
  }
  return `${n} B`;
}

/** True when t (ms or Date) is inside the window, both ends included. */
export function inWindow(w: Window, t: Date | number | undefined): boolean {
  if (t === undefined) return false;
  const ms = typeof t === "number" ? t : t.getTime();
  return ms >= w.since.getTime() && ms <= w.until.getTime();
}
