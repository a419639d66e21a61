import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextRun, parseSchedule } from '../../../shared/subscriptions/schedule.ts';
import { SubscriptionInput, subscriptionProblems } from '../../../shared/subscriptions/subscription.ts';

// [schedule, after, the next run after it]; all UTC.
const NEXT: [string, string, string][] = [
  ['15m', '2026-03-01T10:07:30Z', '2026-03-01T10:22:30Z'],
  ['1d', '2026-03-01T10:07:30Z', '2026-03-02T10:07:30Z'],
  ['*/15 * * * *', '2026-03-01T10:07:30Z', '2026-03-01T10:15:00Z'],
  // Strictly after: a run at exactly `after` is the one that just happened.
  ['0 * * * *', '2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z'],
  ['30 6 * * 1-5', '2026-03-06T07:00:00Z', '2026-03-09T06:30:00Z'], // Friday after 06:30 → Monday
  ['0 0 * * 7', '2026-03-02T00:00:00Z', '2026-03-08T00:00:00Z'], // 7 is Sunday, as 0 is
  ['0 9 1 jan,jul *', '2026-03-01T00:00:00Z', '2026-07-01T09:00:00Z'],
  ['0 0 1,15 * *', '2026-03-01T00:00:00Z', '2026-03-15T00:00:00Z'],
  // Both day fields restricted: either matches (cron's OR), the 1st or a Monday.
  ['0 0 1 * 1', '2026-12-01T15:00:00Z', '2026-12-07T00:00:00Z'], // Tuesday the 1st, after midnight → Monday the 7th
  ['0 0 1 * 1', '2026-12-28T01:00:00Z', '2027-01-01T00:00:00Z'], // Monday the 28th, after midnight → Friday the 1st
  ['0 0 13 * 5', '2026-03-01T00:00:00Z', '2026-03-06T00:00:00Z'], // not only Friday the 13th
  // One day field restricted: only that one counts.
  ['0 0 * * 1', '2026-12-01T15:00:00Z', '2026-12-07T00:00:00Z'],
  ['0 0 31 * *', '2026-04-01T00:00:00Z', '2026-05-31T00:00:00Z'], // April has no 31st
  // 29 February: the next one can be 8 years away (2100 is no leap year), far past a one-year search.
  ['0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00Z'],
  ['0 0 29 2 *', '2096-03-01T00:00:00Z', '2104-02-29T00:00:00Z'],
];

// [schedule, what the refusal says]
const REFUSED: [string, RegExp][] = [
  ['0 0 31 4 *', /^schedule "0 0 31 4 \*" never runs: no date matches it$/],
  ['0 0 30 2 *', /never runs/],
  ['0 0 31 2,4,6,9,11 *', /never runs/],
  ['60 * * * *', /minute outside 0-59/],
  ['0 24 * * *', /hour outside 0-23/],
  ['0 0 32 * *', /day of month outside 1-31/],
  ['0 0 0 * *', /day of month outside 1-31/],
  ['* * * 13 *', /month outside 1-12/],
  ['* * * * 8', /day of week outside 0-7/],
  ['*/0 * * * *', /illegal stepping/],
  ['5-1 * * * *', /larger than/],
  ['* * * *', /a rate \(15m, 6h, 1d\) or five cron fields/],
  ['0 * * * * *', /five cron fields/],
  ['@daily', /five cron fields/],
  ['1m', /at least every 5m/],
];

describe('subscription schedules', () => {
  for (const [schedule, after, expected] of NEXT) {
    test(`"${schedule}" after ${after} runs next at ${expected}`, () => {
      assert.equal(nextRun(parseSchedule(schedule), new Date(after)).toISOString(), new Date(expected).toISOString());
    });
  }

  for (const [schedule, message] of REFUSED) {
    test(`"${schedule}" is refused: ${message.source}`, () => {
      assert.throws(() => parseSchedule(schedule), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'SCHEDULE_INVALID');
        assert.match((error as Error).message, message);
        return true;
      });
    });
  }

  test('a subscription whose schedule never runs is refused, naming the schedule', () => {
    const input = SubscriptionInput.parse({ name: 'april 31', source: { registry: 'src.example', repository: 'team/app' }, destination: { registry: 'dst.example', repository: 'team/app' }, latest: 1, schedule: '0 0 31 4 *' });

    assert.deepEqual(subscriptionProblems(input), ['schedule: schedule "0 0 31 4 *" never runs: no date matches it']);
  });
});
