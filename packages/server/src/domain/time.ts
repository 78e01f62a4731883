/**
 * Local midnight in a time zone. Intl formatters are costly to build, so there is one per zone,
 * and the answer is kept until the next local midnight (`DayClock`).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(instant: number, timeZone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) out[p.type] = Number(p.value);
  return out;
}

/** Local wall time minus UTC at `instant`, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const wall = Date.UTC(w.year!, w.month! - 1, w.day!, w.hour!, w.minute!, w.second!);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The UTC instant of local midnight of the day `wallDayUtc` (a Date.UTC of the local date). */
function midnightOf(wallDayUtc: number, timeZone: string): number {
  // Twice, for days that start or end on a DST change.
  const t = wallDayUtc - offsetAt(wallDayUtc, timeZone);
  return wallDayUtc - offsetAt(t, timeZone);
}

/** The instant of the most recent local midnight in `timeZone`, as an ISO string (UTC). */
export function startOfDay(now: Date, timeZone: string): string {
  const w = wallClock(now.getTime(), timeZone);
  return new Date(midnightOf(Date.UTC(w.year!, w.month! - 1, w.day!), timeZone)).toISOString();
}

/** `startOfDay`, computed once per local day. */
export class DayClock {
  private start = '';
  private nextMidnight = 0;

  constructor(private readonly timeZone: string) {}

  startOf(now: Date): string {
    const t = now.getTime();
    if (t >= this.nextMidnight || t < this.nextMidnight - 50 * 3600_000) {
      const w = wallClock(t, this.timeZone);
      const day = Date.UTC(w.year!, w.month! - 1, w.day!);
      this.start = new Date(midnightOf(day, this.timeZone)).toISOString();
      this.nextMidnight = midnightOf(day + 86400_000, this.timeZone);
    }
    return this.start;
  }
}
