/**
 * When a subscription runs: a rate (`15m`, `6h`, `1d`) or a five-field cron expression in UTC
 * (`minute hour day-of-month month day-of-week`; each a `*`, a step such as `*\/15`, `a-b`, or `a,b`).
 */
import { InvalidInputError } from '../errors.ts';

const RATE = /^(\d+)\s*(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const MIN_RATE_MS = 5 * 60_000;
const FIELDS: Array<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];
const NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'];

export type Schedule = { rateMs: number } | { cron: number[][] };

export function parseSchedule(text: string): Schedule {
  const rate = RATE.exec(text.trim());
  if (rate) {
    const rateMs = Number(rate[1]) * UNIT_MS[rate[2] as keyof typeof UNIT_MS];
    if (rateMs < MIN_RATE_MS) throw new InvalidInputError('INVALID_SCHEDULE', `schedule "${text}": at least every 5m (registries rate-limit)`);
    return { rateMs };
  }
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) throw new InvalidInputError('INVALID_SCHEDULE', `schedule "${text}": a rate (15m, 6h, 1d) or five cron fields`);
  return { cron: parts.map((part, i) => parseField(part, FIELDS[i]!, NAMES[i]!, text)) };
}

function parseField(part: string, [min, max]: [number, number], name: string, text: string): number[] {
  const values = new Set<number>();
  for (const item of part.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new InvalidInputError('INVALID_SCHEDULE', `schedule "${text}": bad ${name} "${item}"`);
    const from = match[1] === '*' ? min : Number(match[2]);
    const to = match[1] === '*' ? max : match[3] !== undefined ? Number(match[3]) : match[4] !== undefined ? max : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (from < min || to > max || from > to || step < 1) throw new InvalidInputError('INVALID_SCHEDULE', `schedule "${text}": ${name} "${item}" outside ${min}-${max}`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** The first run strictly after `after`. */
export function nextRun(schedule: Schedule, after: Date): Date {
  if ('rateMs' in schedule) return new Date(after.getTime() + schedule.rateMs);
  const [minutes, hours, days, months, weekdays] = schedule.cron as [number[], number[], number[], number[], number[]];
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  // At most a year and a bit of minutes: every valid expression matches within that.
  for (let i = 0; i < 527_040 * 2; i++) {
    if (months.includes(t.getUTCMonth() + 1) && days.includes(t.getUTCDate()) && weekdays.includes(t.getUTCDay())
      && hours.includes(t.getUTCHours()) && minutes.includes(t.getUTCMinutes())) return t;
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  throw new InvalidInputError('INVALID_SCHEDULE', 'schedule never runs (no date matches it)');
}
