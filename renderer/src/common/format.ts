/** Numbers, times and durations in the current language's format (Intl). */

const numberFormats = new Map<string, Intl.NumberFormat>();
const timeFormats = new Map<string, Intl.DateTimeFormat>();

export function formatNumber(value: number, language: string, maximumFractionDigits = 0): string {
  const key = `${language}|${maximumFractionDigits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(language, { maximumFractionDigits });
    numberFormats.set(key, f);
  }
  return f.format(value);
}

export function formatTime(iso: string | null, language: string, withSeconds = false): string {
  if (!iso) return '';
  const key = `${language}|${withSeconds}`;
  let f = timeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit', ...(withSeconds ? { second: '2-digit' } : {}) });
    timeFormats.set(key, f);
  }
  return f.format(new Date(iso));
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(language: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${language}|${withTime}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(language, { dateStyle: 'medium', ...(withTime ? { timeStyle: 'short' } : {}) });
    dateFormats.set(key, f);
  }
  return f;
}

/**
 * A date in the language's format (31.08.2026, Aug 31, 2026). A plain calendar date ("2026-08-31",
 * an order's deadline) is that day wherever the station is, not midnight UTC shifted a day back.
 * Text that is no date comes back as it is.
 */
export function formatDate(value: string | null, language: string): string {
  if (!value) return '';
  const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = plain ? new Date(Number(plain[1]), Number(plain[2]) - 1, Number(plain[3])) : new Date(value);
  return Number.isNaN(date.getTime()) ? value : dateFormat(language, false).format(date);
}

/** A moment with date and time in the language's format (31.08.2026, 14:05). */
export function formatDateTime(iso: string | null, language: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat(language, true).format(date);
}

/** A stopwatch reading: 0:07, 12:34, 1:02:03. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A step's duration in the timeline, shorter ones with a tenth: 0.4 s / 0,4 s, 12 s, 3:05. */
export function formatStepDuration(ms: number | null, language: string): string {
  if (ms === null) return '';
  if (ms < 10_000) return `${formatNumber(ms / 1000, language, 1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  return formatDuration(ms);
}

/** Elapsed time of a run: ticking while it runs, its final duration once finished. */
export function elapsedMs(startedAt: string | null, finishedAt: string | null, now: number): number | null {
  if (!startedAt) return null;
  const start = Date.parse(startedAt);
  const end = finishedAt ? Date.parse(finishedAt) : now;
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : null;
}
