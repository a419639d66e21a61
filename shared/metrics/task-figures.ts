/**
 * The figures a finished task record yields, shared by both outputs (Prometheus locally,
 * CloudWatch embedded metric format on Lambda), so the two always mean the same thing.
 */
import type { Task } from '../tasks/task.ts';

export interface TaskFigures {
  status: Task['status'];
  /** SUCCEEDED only: from the push at the source (or the task's creation) to the record finishing. */
  lagSeconds?: number;
  /** From the message being sent (or the task created) to the worker claiming the last attempt. */
  queueWaitSeconds?: number;
  bytes: number;
  blobs: { copied: number; mounted: number; skipped: number };
  /** FAILED only. */
  errorCode?: string;
}

export function taskFigures(task: Task): TaskFigures {
  const finished = at(task.finishedAt);
  const pushed = at(task.pushedAt ?? task.createdAt);
  const queued = at(task.enqueuedAt ?? task.createdAt);
  const started = at(task.startedAt);
  return {
    status: task.status,
    ...(task.status === 'SUCCEEDED' && finished !== undefined && pushed !== undefined ? { lagSeconds: Math.max(0, (finished - pushed) / 1000) } : {}),
    ...(started !== undefined && queued !== undefined ? { queueWaitSeconds: Math.max(0, (started - queued) / 1000) } : {}),
    bytes: task.result?.bytes ?? 0,
    blobs: task.result?.blobs ?? { copied: 0, mounted: 0, skipped: 0 },
    ...(task.status === 'FAILED' && task.error ? { errorCode: task.error.code } : {}),
  };
}

function at(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
