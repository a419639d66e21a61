/**
 * The local runtime's metrics, served as `GET /metrics` in Prometheus text format. Counted in
 * this process from the records the worker finishes (its observer seam) and from the registry
 * clients' manifest GET hook; they start from zero when the process starts, as Prometheus
 * counters do.
 */
import { MetricsRegistry } from './prometheus-text.ts';
import { taskFigures } from './task-figures.ts';
import type { Task } from '../tasks/task.ts';

/** Seconds: replication is expected within seconds to minutes of a push; an hour is an outage. */
export const LAG_BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] as const;
export const QUEUE_WAIT_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] as const;

export interface ReplicationMetrics {
  taskFinished(task: Task): void;
  manifestGet(registry: string): void;
  render(): string;
}

export function createReplicationMetrics(): ReplicationMetrics {
  const registry = new MetricsRegistry();
  const tasks = registry.counter('crossdock_tasks_total', 'Finished tasks by status.');
  const lag = registry.histogram('crossdock_replication_lag_seconds', 'From the push at the source (or the task creation) to the replicated record, SUCCEEDED tasks.', LAG_BUCKETS);
  const queueWait = registry.histogram('crossdock_queue_wait_seconds', 'From the message being sent to the worker claiming the task (its last attempt).', QUEUE_WAIT_BUCKETS);
  const bytes = registry.counter('crossdock_copied_bytes_total', 'Bytes copied to destinations (blobs and manifests uploaded).');
  const blobs = registry.counter('crossdock_blobs_total', 'Blobs by outcome: copied (uploaded), mounted (cross-repository), skipped (already present).');
  const failures = registry.counter('crossdock_task_failures_total', 'FAILED tasks by error code.');
  const manifestGets = registry.counter('crossdock_registry_manifest_gets_total', 'Manifest GETs sent, by registry (what Docker Hub counts against its pull limit).');
  return {
    taskFinished(task) {
      const figures = taskFigures(task);
      tasks.inc({ status: figures.status });
      if (figures.lagSeconds !== undefined) lag.observe(figures.lagSeconds);
      if (figures.queueWaitSeconds !== undefined) queueWait.observe(figures.queueWaitSeconds);
      bytes.inc({}, figures.bytes);
      for (const outcome of ['copied', 'mounted', 'skipped'] as const) blobs.inc({ outcome }, figures.blobs[outcome]);
      if (figures.errorCode) failures.inc({ code: figures.errorCode });
    },
    manifestGet(name) {
      manifestGets.inc({ registry: name });
    },
    render: () => registry.render(),
  };
}
