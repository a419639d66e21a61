/**
 * The health summary's facts, each read the way the service itself reads it: queue depth from
 * SQS, the oldest waiting task from the sweep's index, failures of the last 24 hours from the
 * records (bounded: past MAX_FAILURES_READ the counts say "at least").
 */
import type { QueueDepth, QueueDepthReading } from '../../shared/queue/queue-depth.ts';
import type { Task } from '../../shared/tasks/task.ts';
import type { TaskStore } from '../../shared/tasks/task-store.ts';

export const FAILURE_WINDOW_MS = 24 * 3_600_000;
export const MAX_FAILURES_READ = 1000;

export interface Health {
  queue?: QueueDepthReading;
  /** Why the depth is missing (no queue reader wired, or SQS refused). */
  queueProblem?: string;
  oldestWaiting?: Task;
  failuresByCode: { code: string; count: number; latest: Task }[];
  failuresTotal: number;
  /** More failures exist than were read. */
  failuresTruncated: boolean;
}

export async function readHealth(deps: { taskStore: TaskStore; queueDepth?: QueueDepth }, now: Date): Promise<Health> {
  const [queue, waiting, failures] = await Promise.all([
    deps.queueDepth
      ? deps.queueDepth.read().then((q) => ({ q }), (error: unknown) => ({ problem: `queue depth unavailable: ${(error as Error).message}` }))
      : Promise.resolve({ problem: 'queue depth is not wired in this deployment' }),
    deps.taskStore.listWaiting(now, 1),
    readFailures(deps.taskStore, new Date(now.getTime() - FAILURE_WINDOW_MS)),
  ]);
  const byCode = new Map<string, { code: string; count: number; latest: Task }>();
  for (const task of failures.items) {
    const code = task.error?.code ?? 'UNKNOWN';
    const entry = byCode.get(code);
    if (entry) entry.count++;
    else byCode.set(code, { code, count: 1, latest: task });
  }
  return {
    ...('q' in queue ? { queue: queue.q } : { queueProblem: queue.problem }),
    ...(waiting.items[0] ? { oldestWaiting: waiting.items[0] } : {}),
    failuresByCode: [...byCode.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    failuresTotal: failures.items.length,
    failuresTruncated: failures.truncated,
  };
}

async function readFailures(store: TaskStore, since: Date): Promise<{ items: Task[]; truncated: boolean }> {
  const items: Task[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ status: 'FAILED', since: since.toISOString() }, 200, cursor);
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor && items.length < MAX_FAILURES_READ);
  return { items: items.slice(0, MAX_FAILURES_READ), truncated: cursor !== undefined || items.length > MAX_FAILURES_READ };
}
