import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromAcrLocalTime, fromRfc3339, fromUnixSeconds } from '../../../shared/webhooks/timestamps.ts';

describe('provider timestamps', () => {
  test('RFC 3339 with nanoseconds and a zone is read into UTC milliseconds', () => {
    assert.equal(fromRfc3339('2016-03-09T14:44:26.402973972-08:00'), '2016-03-09T22:44:26.402Z');
    assert.equal(fromRfc3339('2019-11-16T01:54:34Z'), '2019-11-16T01:54:34.000Z');
    assert.equal(fromRfc3339('2016-11-10T23:57:49.664+0000'), '2016-11-10T23:57:49.664Z');
  });

  test('Unix seconds, integer or float, and ACR\'s zone-less local time as +08:00', () => {
    assert.equal(fromUnixSeconds(1680501893), '2023-04-03T06:04:53.000Z');
    assert.equal(fromUnixSeconds(1.417566161e9), '2014-12-03T00:22:41.000Z');
    assert.equal(fromAcrLocalTime('2016-11-29 12:25:46'), '2016-11-29T04:25:46.000Z');
  });

  test('anything else is not a time', () => {
    assert.equal(fromRfc3339('yesterday'), undefined);
    assert.equal(fromRfc3339('2024-13-01T00:00:00Z'), undefined);
    assert.equal(fromUnixSeconds(1.7e15), undefined);
    assert.equal(fromAcrLocalTime('29/11/2016'), undefined);
  });
});
