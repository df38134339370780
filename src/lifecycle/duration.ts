/** ISO 8601 durations with whole numbers (`P30D`, `PT1H`); PostgreSQL reads the same text as an interval. */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DURATION = /^P(?!$)(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,7})D)?(?:T(?=\d)(?:(\d{1,8})H)?(?:(\d{1,9})M)?(?:(\d{1,10})S)?)?$/;

// Nobody keeps events longer; a cutoff that far back stops at year 1 (`cutoff` in store/hot-tier.ts).
const MAX_SECONDS = 10_000 * 365 * 86_400;

export function parseDuration(text: string): Duration | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) => Number(v ?? 0)) as number[];
  const d = { years: years!, months: months!, weeks: weeks!, days: days!, hours: hours!, minutes: minutes!, seconds: seconds! };
  return durationSeconds(d) <= MAX_SECONDS ? d : null;
}

/** Seconds as PostgreSQL compares intervals: a month is 30 days, a year 12 months. */
export function durationSeconds(d: Duration): number {
  const days = (d.years * 12 + d.months) * 30 + d.weeks * 7 + d.days;
  return days * 86_400 + d.hours * 3_600 + d.minutes * 60 + d.seconds;
}

export function parseSecondsOrDuration(text: string): number | null {
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const d = parseDuration(text);
  return d ? durationSeconds(d) : null;
}
