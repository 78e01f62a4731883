/** Number, time and label formatting shared by the pages. */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : integer.format(value);
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

const clock = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const clockShort = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fullDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function clockTime(iso: string | number): string {
  return clock.format(new Date(iso));
}

export function clockMinute(ms: number): string {
  return clockShort.format(new Date(ms));
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

/**
 * Date and time to the second, for tooltips. One shared formatter: `Date#toLocaleString()` builds
 * a new one at every call, a millisecond each, which a burst of new feed rows pays per row.
 */
export function formatFullDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : fullDateTime.format(d);
}

/** "motion_detected" → "Motion detected". */
export function humanize(name: string): string {
  const text = name.replace(/[_.:-]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function percent(value: unknown): string | null {
  return typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value * 100)}%` : null;
}
