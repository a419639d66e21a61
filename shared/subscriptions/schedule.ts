/**
 * When a subscription runs: a rate (`15m`, `6h`, `1d`) or a five-field cron expression in UTC
 * (`minute hour day-of-month month day-of-week`), read by croner with cron's own rules: when both
 * day fields are restricted a day matches either (`0 0 1 * 1` is the 1st and every Monday).
 * A schedule is accepted only once its next run has been found, so one that can never fire
 * (`0 0 31 4 *`) is refused where it is written instead of failing at every run.
 */
import { Cron } from 'croner';
import { InvalidInputError } from '../errors.ts';

const RATE = /^(\d+)\s*(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const MIN_RATE_MS = 5 * 60_000;

export type Schedule = { rateMs: number } | { cron: Cron };

export function parseSchedule(text: string): Schedule {
  const trimmed = text.trim();
  const rate = RATE.exec(trimmed);
  if (rate) {
    const rateMs = Number(rate[1]) * UNIT_MS[rate[2] as keyof typeof UNIT_MS];
    if (rateMs < MIN_RATE_MS) throw new InvalidInputError('SCHEDULE_INVALID', `schedule "${text}": at least every 5m (registries rate-limit)`);
    return { rateMs };
  }
  if (trimmed.split(/\s+/).length !== 5) throw new InvalidInputError('SCHEDULE_INVALID', `schedule "${text}": a rate (15m, 6h, 1d) or five cron fields`);
  let cron: Cron;
  try {
    // paused: croner only computes dates here, it never starts a timer.
    cron = new Cron(trimmed, { timezone: 'UTC', mode: '5-part', paused: true });
  } catch (error) {
    throw new InvalidInputError('SCHEDULE_INVALID', `schedule "${text}": ${cronProblem(error)}`, { cause: error });
  }
  // Five fields repeat with the calendar, so an expression that fires at all fires after any date.
  if (cron.nextRun(new Date()) === null) throw neverRuns(text);
  return { cron };
}

/** The first run strictly after `after`. */
export function nextRun(schedule: Schedule, after: Date): Date {
  if ('rateMs' in schedule) return new Date(after.getTime() + schedule.rateMs);
  const next = schedule.cron.nextRun(after);
  if (next === null) throw neverRuns(schedule.cron.getPattern() ?? '');
  return next;
}

function neverRuns(text: string): InvalidInputError {
  return new InvalidInputError('SCHEDULE_INVALID', `schedule "${text}" never runs: no date matches it`);
}

const RANGES: Record<string, string> = {
  minute: 'minute outside 0-59',
  hour: 'hour outside 0-23',
  day: 'day of month outside 1-31',
  month: 'month outside 1-12 (or JAN-DEC)',
  dayOfWeek: 'day of week outside 0-7 (or SUN-SAT)',
};

/**
 * croner's messages start with its class name ("CronPattern: ..."), and its out-of-range message
 * shows its own zero-based value (32 in day of month is reported as 31): name the field's range.
 */
function cronProblem(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, '');
  const field = /^Invalid value for (\w+)/.exec(message)?.[1];
  return (field !== undefined ? RANGES[field] : undefined) ?? message;
}
