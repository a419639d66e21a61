import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkStats, linkStatsOverTime, percentile } from '../../../shared/links/link-stats.ts';

test('percentiles are nearest-rank over the records', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual([percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99)], [50, 95, 99]);
  assert.equal(percentile([7], 99), 7);
});

test('stats exclude queueing, split by image size (a single-layer 1 GB image in its own bucket), and give bytes per second over busy time', () => {
  const stats = linkStats([
    { bytes: 1_000_000_000, transferMs: 40_000, queuedMs: 60_000 },
    { bytes: 1_200_000_000, transferMs: 50_000, queuedMs: 0 },
    { bytes: 5_000_000, transferMs: 1_000, queuedMs: 10 },
  ]);
  assert.equal(stats.count, 3);
  assert.deepEqual(stats.completionMs, { p50: 40_000, p95: 50_000, p99: 50_000 });
  assert.deepEqual(stats.queuedMs, { p50: 10, p95: 60_000, p99: 60_000 });
  assert.equal(stats.bytesPerSecond, Math.round(2_205_000_000 / 91));
  assert.deepEqual(stats.bySize.map((b) => [b.bucket, b.count, b.completionMs.p95, b.bytesPerSecond]), [
    ['<10MB', 1, 1_000, 5_000_000],
    ['>=1GB', 2, 50_000, Math.round(2_200_000_000 / 90)],
  ]);
  assert.deepEqual(linkStats([]), { count: 0, completionMs: null, queuedMs: null, bytesPerSecond: null, bySize: [] });
});

test('P95 over time: one bucket per whole UTC hour of the window, nearest-rank within each, empty hours null', () => {
  const since = new Date('2026-12-01T10:30:00Z');
  const until = new Date('2026-12-01T13:10:00Z');
  const at = (iso: string, transferMs: number) => ({ finishedAt: iso, transferMs, queuedMs: 999_999, bytes: 1 });
  const buckets = linkStatsOverTime([
    at('2026-12-01T10:20:00Z', 1), // before the window: left out though its hour is shown
    at('2026-12-01T10:45:00Z', 100),
    ...Array.from({ length: 20 }, (_, i) => at('2026-12-01T12:15:00Z', (i + 1) * 10)),
    at('2026-12-01T13:10:00Z', 7), // exactly at `until`: in the current hour
  ], since, until, 3_600_000);
  assert.deepEqual(buckets.map((b) => [b.start.slice(11, 16), b.end.slice(11, 16), b.count, b.p95Ms]), [
    ['10:00', '11:00', 1, 100],
    ['11:00', '12:00', 0, null],
    ['12:00', '13:00', 20, 190],
    ['13:00', '14:00', 1, 7],
  ]);
  assert.equal(linkStatsOverTime([], new Date('2026-11-24T13:10:00Z'), until, 86_400_000).length, 8, 'seven days and the current one');
  assert.throws(() => linkStatsOverTime([], new Date(0), until, 60_000), /buckets \(at most 200\)/);
});
