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
