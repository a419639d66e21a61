/**
 * Reference data for a link (issue 13): how long its tasks took once they had a slot (queueing
 * excluded, as the source product publishes its P95 per region pair), overall and by image size,
 * and the bytes per second they achieved. Computed from task records; the caller bounds the
 * records read.
 */
export interface StatsSample {
  /** Copy time once the task had its slot. */
  transferMs: number;
  queuedMs: number;
  /** Bytes the task moved (the image's blobs and manifests that were not at the destination). */
  bytes: number;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface BucketStats {
  bucket: string;
  count: number;
  completionMs: Percentiles;
  bytesPerSecond: number;
}

export interface LinkStats {
  count: number;
  completionMs: Percentiles | null;
  queuedMs: Percentiles | null;
  bytesPerSecond: number | null;
  bySize: BucketStats[];
}

/** Decimal sizes, so that the reference case, a single-layer 1 GB image, has its own bucket. */
export const SIZE_BUCKETS: ReadonlyArray<{ name: string; below: number }> = [
  { name: '<10MB', below: 10e6 },
  { name: '10MB-100MB', below: 100e6 },
  { name: '100MB-1GB', below: 1e9 },
  { name: '>=1GB', below: Number.POSITIVE_INFINITY },
];

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** Bytes over busy time: the rate a task on the link gets, whatever the gaps between tasks. */
function rate(samples: readonly StatsSample[]): number {
  const ms = samples.reduce((sum, s) => sum + s.transferMs, 0);
  return ms === 0 ? 0 : Math.round(samples.reduce((sum, s) => sum + s.bytes, 0) / (ms / 1000));
}

export function linkStats(samples: readonly StatsSample[]): LinkStats {
  if (samples.length === 0) return { count: 0, completionMs: null, queuedMs: null, bytesPerSecond: null, bySize: [] };
  const bySize: BucketStats[] = [];
  let floor = 0;
  for (const { name, below } of SIZE_BUCKETS) {
    const inBucket = samples.filter((s) => s.bytes >= floor && s.bytes < below);
    floor = below;
    if (inBucket.length === 0) continue;
    bySize.push({ bucket: name, count: inBucket.length, completionMs: percentiles(inBucket.map((s) => s.transferMs)), bytesPerSecond: rate(inBucket) });
  }
  return {
    count: samples.length,
    completionMs: percentiles(samples.map((s) => s.transferMs)),
    queuedMs: percentiles(samples.map((s) => s.queuedMs)),
    bytesPerSecond: rate(samples),
    bySize,
  };
}

/** A sample with the time its task finished: what places it in a bucket of time. */
export interface TimedSample extends StatsSample {
  finishedAt: string;
}

export interface TimeBucket {
  /** ISO start (inclusive) and end (exclusive) of the bucket. */
  start: string;
  end: string;
  count: number;
  /** P95 of completion time less queueing; null for a bucket without a finished task. */
  p95Ms: number | null;
}

/** More points than a chart on a phone can show apart, and each bucket a fixed cost. */
export const MAX_TIME_BUCKETS = 200;

/**
 * P95 completion time (queueing excluded) per bucket of `bucketMs`, oldest first, on whole
 * buckets of UTC time (hours, days) covering [since, until]: the first and the last (the current
 * one) may be partly outside the window. Samples outside the window are left out.
 */
export function linkStatsOverTime(samples: readonly TimedSample[], since: Date, until: Date, bucketMs: number): TimeBucket[] {
  if (!(bucketMs > 0)) throw new RangeError(`bucket of ${bucketMs} ms`);
  const first = Math.floor(since.getTime() / bucketMs) * bucketMs;
  const count = Math.max(1, Math.floor(until.getTime() / bucketMs) - first / bucketMs + 1);
  if (count > MAX_TIME_BUCKETS) throw new RangeError(`${count} buckets (at most ${MAX_TIME_BUCKETS})`);
  const values: number[][] = Array.from({ length: count }, () => []);
  for (const sample of samples) {
    const at = Date.parse(sample.finishedAt);
    if (!(at >= since.getTime() && at <= until.getTime())) continue;
    values[Math.floor((at - first) / bucketMs)]!.push(sample.transferMs);
  }
  return values.map((inBucket, i) => ({
    start: new Date(first + i * bucketMs).toISOString(),
    end: new Date(first + (i + 1) * bucketMs).toISOString(),
    count: inBucket.length,
    p95Ms: inBucket.length === 0 ? null : percentile([...inBucket].sort((a, b) => a - b), 95),
  }));
}
