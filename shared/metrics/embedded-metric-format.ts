/**
 * CloudWatch embedded metric format: on Lambda a JSON log line with an `_aws` member becomes
 * metrics without any API call (the Logs service extracts them). One line per finished task, and
 * one per registry for the manifest GETs counted since the last line.
 */
import type { Task } from '../tasks/task.ts';
import { taskFigures } from './task-figures.ts';

export const EMF_NAMESPACE = 'crossdock';

interface MetricValue {
  name: string;
  unit: 'Seconds' | 'Bytes' | 'Count';
  value: number;
}

function line(timestamp: number, dimensions: Record<string, string>, values: MetricValue[], properties: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: EMF_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: values.map((v) => ({ Name: v.name, Unit: v.unit })) }],
    },
    ...dimensions,
    ...Object.fromEntries(values.map((v) => [v.name, v.value])),
    ...properties,
  });
}

/** The task's line: dimensioned by status (and error code when FAILED); the task id as a property for Logs Insights. */
export function taskEmfLine(task: Task, now: Date): string {
  const f = taskFigures(task);
  const values: MetricValue[] = [
    { name: 'Tasks', unit: 'Count', value: 1 },
    { name: 'BytesCopied', unit: 'Bytes', value: f.bytes },
    { name: 'BlobsCopied', unit: 'Count', value: f.blobs.copied },
    { name: 'BlobsMounted', unit: 'Count', value: f.blobs.mounted },
    { name: 'BlobsSkipped', unit: 'Count', value: f.blobs.skipped },
    ...(f.lagSeconds !== undefined ? [{ name: 'ReplicationLag', unit: 'Seconds' as const, value: f.lagSeconds }] : []),
    ...(f.queueWaitSeconds !== undefined ? [{ name: 'QueueWait', unit: 'Seconds' as const, value: f.queueWaitSeconds }] : []),
  ];
  return line(now.getTime(), { Status: f.status, ...(f.errorCode ? { ErrorCode: f.errorCode } : {}) }, values, { task_id: task.id });
}

export function manifestGetsEmfLine(registry: string, count: number, now: Date): string {
  return line(now.getTime(), { Registry: registry }, [{ name: 'ManifestGets', unit: 'Count', value: count }]);
}

/** Counts manifest GETs between flushes (a warm Lambda reuses it across invocations). */
export function createManifestGetTally() {
  const counts = new Map<string, number>();
  return {
    count(registry: string): void {
      counts.set(registry, (counts.get(registry) ?? 0) + 1);
    },
    /** The lines for what was counted since the last flush; the tally starts again from zero. */
    flush(now: Date): string[] {
      const lines = [...counts].map(([registry, n]) => manifestGetsEmfLine(registry, n, now));
      counts.clear();
      return lines;
    },
  };
}
