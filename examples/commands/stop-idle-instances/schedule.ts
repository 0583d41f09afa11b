// A schedule tag says when an instance may run: "Mon-Fri 08:00-18:00" (UTC), or
// "08:00-18:00" for every day. Outside its window a running instance is idle by
// definition and may be stopped. Pure: unit-testable without a clock or a cloud.

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

export interface Schedule {
  days: Set<number>;
  startMin: number;
  endMin: number;
  text: string;
}

const FORM = /^(?:(Sun|Mon|Tue|Wed|Thu|Fri|Sat)(?:-(Sun|Mon|Tue|Wed|Thu|Fri|Sat))?\s+)?(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

/** The parsed schedule, or a reason it cannot be read. */
export function parseSchedule(text: string): Schedule | { error: string } {
  const m = FORM.exec(text.trim());
  if (!m) return { error: `'${text}' is not a schedule such as "Mon-Fri 08:00-18:00" or "08:00-18:00" (UTC)` };
  const [, d1, d2, h1, m1, h2, m2] = m;
  const startMin = Number(h1) * 60 + Number(m1);
  const endMin = Number(h2) * 60 + Number(m2);
  if (Number(h1) > 23 || Number(h2) > 24 || Number(m1) > 59 || Number(m2) > 59 || endMin > 1440) return { error: `'${text}': times run from 00:00 to 24:00` };
  if (startMin >= endMin) return { error: `'${text}': the window must end after it starts (same day, UTC)` };
  const days = new Set<number>();
  if (!d1) for (let i = 0; i < 7; i++) days.add(i);
  else {
    const a = DAYS.indexOf(d1 as (typeof DAYS)[number]);
    const b = d2 ? DAYS.indexOf(d2 as (typeof DAYS)[number]) : a;
    for (let i = a; ; i = (i + 1) % 7) {
      days.add(i);
      if (i === b) break;
    }
  }
  return { days, startMin, endMin, text: text.trim() };
}

/** Whether `now` falls inside the window. */
export function insideWindow(s: Schedule, now: Date): boolean {
  const minute = now.getUTCHours() * 60 + now.getUTCMinutes();
  return s.days.has(now.getUTCDay()) && minute >= s.startMin && minute < s.endMin;
}

export function describeNow(now: Date): string {
  return `${DAYS[now.getUTCDay()]} ${String(now.getUTCHours()).padStart(2, "0")}:${String(now.getUTCMinutes()).padStart(2, "0")} UTC`;
}
