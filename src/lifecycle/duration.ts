/**
 * ISO 8601 durations as policies and ARCHIVE_INTERVAL take them: `P[nY][nM][nW][nD][T[nH][nM][nS]]`
 * with whole numbers (`P30D`, `PT1H`, `P1Y6M`, `PT0S`). PostgreSQL reads the same text as an
 * interval, so the store applies a policy with its own calendar arithmetic (`now() - interval`).
 */
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

// Beyond this, PostgreSQL's interval arithmetic on timestamps would overflow; nobody keeps events longer.
const MAX_SECONDS = 10_000 * 365 * 86_400;

/** The duration, or null when the text is not one (or is longer than 10,000 years). */
export function parseDuration(text: string): Duration | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) => Number(v ?? 0)) as number[];
  const d = { years: years!, months: months!, weeks: weeks!, days: days!, hours: hours!, minutes: minutes!, seconds: seconds! };
  return durationSeconds(d) <= MAX_SECONDS ? d : null;
}

/**
 * Length in seconds as PostgreSQL compares intervals: a month is 30 days, a year 12 months.
 * Used to check that delete_after is not shorter than archive_after, and for ARCHIVE_INTERVAL.
 */
export function durationSeconds(d: Duration): number {
  const days = (d.years * 12 + d.months) * 30 + d.weeks * 7 + d.days;
  return days * 86_400 + d.hours * 3_600 + d.minutes * 60 + d.seconds;
}

/** Seconds of a setting given as whole seconds (`3600`) or an ISO 8601 duration (`PT1H`); null if neither. */
export function parseSecondsOrDuration(text: string): number | null {
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const d = parseDuration(text);
  return d ? durationSeconds(d) : null;
}
